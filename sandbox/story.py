"""The seeded "smarketing story": a B2B company's contacts, computed lazily from (seed, index).

Every contact has a now-independent *profile* (who they are, when they were created, and the full
timeline of what will happen to them) drawn from its own ``random.Random`` seeded with (seed, index).
The *view* of a contact at a given ``now`` keeps only the events that have already happened. Nothing is
ever materialised for the whole population, so a million contacts cost nothing until they are read.

Creation times grow with the index (contact ``i`` is created in the i-th slot of an arrival process with
a weekly and a daily rhythm), so "the contacts that exist at ``now``" is always a prefix of the indices
and ids ascend with the index.

Changing the order of random draws in this module changes every story: do it deliberately.
"""

from __future__ import annotations

import enum
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: the first contact can be created from here on
DEFAULT_NOW = datetime(2026, 3, 30, tzinfo=UTC)
DAY_MS = 86_400_000
EPOCH_MS = int(EPOCH.timestamp() * 1000)
DEFAULT_NOW_MS = int(DEFAULT_NOW.timestamp() * 1000)
STORY_DAYS = (DEFAULT_NOW_MS - EPOCH_MS) // DAY_MS

# B2B sign-ups happen on working days; Monday..Sunday relative intensity.
WEEKDAY_WEIGHTS = (1.25, 1.3, 1.25, 1.15, 0.95, 0.3, 0.25)
_WEEK_WEIGHT = sum(WEEKDAY_WEIGHTS)
_WEEKDAY_CUMULATIVE = tuple(sum(WEEKDAY_WEIGHTS[:day]) for day in range(8))
# Strength of the daily rhythm (0 = uniform over the day, < 1 keeps the time warp monotone).
_DIURNAL_STRENGTH = 0.7


class Stage(enum.Enum):
    """HubSpot's lifecycle stages; the value is HubSpot's internal name, ``canonical`` the glossary's."""

    SUBSCRIBER = "subscriber"
    LEAD = "lead"
    MQL = "marketingqualifiedlead"
    SQL = "salesqualifiedlead"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"
    EVANGELIST = "evangelist"
    OTHER = "other"

    @property
    def canonical(self) -> str:
        return _CANONICAL[self]


_CANONICAL = {
    Stage.SUBSCRIBER: "subscriber",
    Stage.LEAD: "lead",
    Stage.MQL: "mql",
    Stage.SQL: "sql",
    Stage.OPPORTUNITY: "opportunity",
    Stage.CUSTOMER: "customer",
    Stage.EVANGELIST: "evangelist",
    Stage.OTHER: "other",
}

FAULTS = ("missing_email", "unknown_lifecycle", "duplicate_email")
UNKNOWN_LIFECYCLE_VALUE = "bogus_stage"

SOURCES: dict[str, tuple[float, float]] = {
    # original source -> (share of new contacts, multiplier on the lead -> MQL conversion)
    "PAID_SEARCH": (0.20, 1.2),
    "PAID_SOCIAL": (0.18, 0.8),
    "ORGANIC_SEARCH": (0.22, 1.0),
    "EMAIL_MARKETING": (0.10, 1.1),
    "SOCIAL_MEDIA": (0.06, 0.6),
    "REFERRALS": (0.08, 1.6),
    "DIRECT_TRAFFIC": (0.10, 1.0),
    "OFFLINE": (0.04, 1.3),
    "OTHER_CAMPAIGNS": (0.02, 0.7),
}

FIRST_NAMES = (
    "Anna", "Ben", "Carla", "David", "Elena", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Karin", "Liam",
    "Maya", "Noah", "Olivia", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Xenia",
    "Yusuf", "Zoe", "Amir", "Beatriz", "Chen", "Dana", "Emeka", "Fatima", "Gustav", "Hana", "Ivan", "Julia",
)  # fmt: skip
LAST_NAMES = (
    "Adams", "Berger", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jensen", "Kowalski",
    "Lopez", "Meyer", "Nakamura", "Okafor", "Petrov", "Quist", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga",
    "Weber", "Xu", "Yilmaz", "Zhang", "Novak", "Silva", "Moreau", "Larsen", "Kim", "Haddad", "Brown", "Singh",
)  # fmt: skip
COMPANY_PREFIXES = (
    "North", "Blue", "Bright", "Cedar", "Delta", "Ever", "Falcon", "Granite", "Harbor", "Iron", "Juniper",
    "Kite", "Lumen", "Maple", "Nimbus", "Orbit", "Pioneer", "Quartz", "River", "Summit", "Tidal", "Vertex",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Analytics", "Systems", "Logistics", "Health", "Labs", "Software", "Foods", "Energy", "Robotics",
    "Finance", "Media", "Works", "Cloud", "Retail",
)  # fmt: skip
JOB_TITLES: dict[str, float] = {
    "VP Marketing": 0.08,
    "Head of Growth": 0.07,
    "Marketing Manager": 0.16,
    "Demand Generation Manager": 0.08,
    "CTO": 0.05,
    "Data Engineer": 0.09,
    "CFO": 0.04,
    "Sales Director": 0.07,
    "Operations Manager": 0.12,
    "Founder & CEO": 0.06,
    "Product Manager": 0.11,
    "Student": 0.07,
}

# lifecycle progression: stage -> list of (next stage, probability, mean delay in days); first match wins
_PROGRESSION: dict[Stage, tuple[tuple[Stage, float, float], ...]] = {
    Stage.SUBSCRIBER: ((Stage.LEAD, 0.45, 12.0),),
    Stage.LEAD: ((Stage.OPPORTUNITY, 0.02, 10.0), (Stage.MQL, 0.30, 6.0)),  # sales-sourced skips happen
    Stage.MQL: ((Stage.SQL, 0.50, 4.0),),
    Stage.SQL: ((Stage.OPPORTUNITY, 0.55, 5.0),),
    Stage.OPPORTUNITY: ((Stage.CUSTOMER, 0.30, 21.0),),
    Stage.CUSTOMER: ((Stage.EVANGELIST, 0.12, 30.0),),
}
_ENTRY_STAGES = ((Stage.LEAD, 0.67), (Stage.SUBSCRIBER, 0.30), (Stage.OTHER, 0.03))
_SCORE_BASE = {
    Stage.SUBSCRIBER: 5,
    Stage.LEAD: 15,
    Stage.MQL: 45,
    Stage.SQL: 60,
    Stage.OPPORTUNITY: 70,
    Stage.CUSTOMER: 80,
    Stage.EVANGELIST: 85,
    Stage.OTHER: 0,
}
_OWNED_FROM = {Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.EVANGELIST}
ARCHIVE_PROBABILITY = 0.03
OWNER_COUNT = 6


@dataclass(frozen=True)
class Profile:
    """Everything about contact ``index`` that does not depend on ``now``: identity and full timeline."""

    index: int
    id: str
    created_ms: int
    firstname: str
    lastname: str
    email: str
    company: str
    jobtitle: str
    source: str
    score_jitter: int
    owner_id: str
    stage_entries: tuple[tuple[Stage, int], ...]  # (stage, entered at ms), chronological, first = creation
    edits_ms: tuple[int, ...]  # other property changes (lastmodifieddate moves, nothing we serve changes)
    archived_ms: int | None  # when the contact gets archived, if ever; no event follows it


@dataclass(frozen=True)
class ContactView:
    """A contact as it looks at ``now``, with planted faults applied. ``stage`` None = unknown value."""

    profile: Profile
    now_ms: int
    faults: frozenset[str] = field(default_factory=frozenset)
    duplicate_of_email: str | None = None

    @property
    def index(self) -> int:
        return self.profile.index

    @property
    def id(self) -> str:
        return self.profile.id

    @property
    def created_ms(self) -> int:
        return self.profile.created_ms

    @cached_property
    def stage_entries(self) -> tuple[tuple[Stage, int], ...]:
        return tuple(entry for entry in self.profile.stage_entries if entry[1] <= self.now_ms)

    @property
    def true_stage(self) -> Stage:
        return self.stage_entries[-1][0]

    @property
    def stage(self) -> Stage | None:
        """The stage as recorded in the CRM: None when the unknown_lifecycle fault planted a bogus value."""
        return None if "unknown_lifecycle" in self.faults else self.true_stage

    @property
    def archived(self) -> bool:
        return self.profile.archived_ms is not None and self.profile.archived_ms <= self.now_ms

    @property
    def updated_ms(self) -> int:
        """Last modification; archiving does not move it (as in HubSpot)."""
        events = [ms for _, ms in self.stage_entries]
        events += [ms for ms in self.profile.edits_ms if ms <= self.now_ms]
        return max(events)

    @property
    def email(self) -> str | None:
        if "missing_email" in self.faults:
            return None
        if self.duplicate_of_email is not None:
            return self.duplicate_of_email
        return self.profile.email

    @property
    def owner_id(self) -> str | None:
        """Sales takes ownership when a contact reaches MQL (or skips past it)."""
        owned = any(stage in _OWNED_FROM for stage, _ in self.stage_entries)
        return self.profile.owner_id if owned else None

    @property
    def score(self) -> int:
        return _SCORE_BASE[self.true_stage] + self.profile.score_jitter


def _days_to_mass(days: float) -> float:
    """Expected number of contacts created in the first ``days`` days, in units of one week's weight."""
    weeks, rest = divmod(days, 7.0)
    day = int(rest)
    return weeks * _WEEK_WEIGHT + _WEEKDAY_CUMULATIVE[day] + WEEKDAY_WEIGHTS[day] * (rest - day)


def _mass_to_days(mass: float) -> float:
    """Inverse of ``_days_to_mass``."""
    weeks, rest = divmod(mass, _WEEK_WEIGHT)
    day = 0
    while day < 6 and _WEEKDAY_CUMULATIVE[day + 1] <= rest:
        day += 1
    return weeks * 7.0 + day + (rest - _WEEKDAY_CUMULATIVE[day]) / WEEKDAY_WEIGHTS[day]


def _diurnal(fraction: float) -> float:
    """Monotone warp of the time of day that puts most sign-ups around midday UTC."""
    return fraction + _DIURNAL_STRENGTH * math.sin(2 * math.pi * fraction) / (2 * math.pi)


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


@dataclass(frozen=True)
class Story:
    """The seeded world. ``scale`` contacts are created between EPOCH and DEFAULT_NOW; more follow later."""

    seed: int
    scale: int
    faults: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(FAULTS)}")
        if self.scale < 0:
            raise ValueError("scale must not be negative")

    def _rng(self, *parts: object) -> random.Random:
        # str seeds are hashed with SHA-512: stable across processes and Python builds (unlike hash()).
        return random.Random(":".join(str(part) for part in (self.seed, *parts)))  # noqa: S311 - simulation

    @cached_property
    def _contacts_per_mass(self) -> float:
        return self.scale / _days_to_mass(STORY_DAYS)

    @cached_property
    def owner_ids(self) -> tuple[str, ...]:
        rng = self._rng("owners")
        return tuple(str(rng.randrange(10_000_000, 99_999_999)) for _ in range(OWNER_COUNT))

    def _created_ms(self, index: int, rng: random.Random) -> int:
        """Creation time of the contact in slot ``index``; the first draw of its random stream."""
        mass = (index + rng.random()) / self._contacts_per_mass
        days = _mass_to_days(mass)
        whole = math.floor(days)
        return EPOCH_MS + int((whole + _diurnal(days - whole)) * DAY_MS)

    def created_ms(self, index: int) -> int:
        return self._created_ms(index, self._rng(index))

    def count_at(self, now_ms: int) -> int:
        """Number of contacts created at or before ``now_ms`` (they are a prefix of the indices)."""
        if self.scale == 0 or now_ms < EPOCH_MS:
            return 0
        upper_days = (now_ms - EPOCH_MS) / DAY_MS + 1  # the daily warp never moves a contact across a day
        low, high = 0, int(_days_to_mass(upper_days) * self._contacts_per_mass) + 2
        while low < high:  # first index created after now_ms
            middle = (low + high) // 2
            if self.created_ms(middle) <= now_ms:
                low = middle + 1
            else:
                high = middle
        return low

    def profile(self, index: int) -> Profile:
        rng = self._rng(index)
        created_ms = self._created_ms(index, rng)
        contact_id = str(101 + 3 * index + rng.randrange(3))
        firstname = rng.choice(FIRST_NAMES)
        lastname = rng.choice(LAST_NAMES)
        company, domain = self._company(rng.randrange(max(1, self.scale // 4)))
        jobtitle = _weighted(rng, JOB_TITLES)
        source = _weighted(rng, {name: share for name, (share, _) in SOURCES.items()})
        stage_entries = _timeline(rng, created_ms, SOURCES[source][1])
        score_jitter = rng.randrange(16)
        owner_id = rng.choice(self.owner_ids)
        edits = tuple(created_ms + int(rng.expovariate(1 / 15) * DAY_MS) for _ in range(rng.randrange(4)))
        archived_ms = None
        if rng.random() < ARCHIVE_PROBABILITY:
            archived_ms = created_ms + int(rng.expovariate(1 / 20) * DAY_MS)
            stage_entries = tuple(entry for entry in stage_entries if entry[1] <= archived_ms)
            edits = tuple(ms for ms in edits if ms <= archived_ms)
        return Profile(
            index=index,
            id=contact_id,
            created_ms=created_ms,
            firstname=firstname,
            lastname=lastname,
            email=f"{firstname}.{lastname}{index}@{domain}".lower(),
            company=company,
            jobtitle=jobtitle,
            source=source,
            score_jitter=score_jitter,
            owner_id=owner_id,
            stage_entries=stage_entries,
            edits_ms=edits,
            archived_ms=archived_ms,
        )

    def _company(self, company_index: int) -> tuple[str, str]:
        """Name and web domain of company ``company_index`` (a later companies object can reuse this)."""
        rng = self._rng("company", company_index)
        name = f"{rng.choice(COMPANY_PREFIXES)} {rng.choice(COMPANY_SUFFIXES)}"
        domain = name.lower().replace(" ", "") + rng.choice((".com", ".io", ".co"))
        return name, domain

    def faults_of(self, index: int) -> tuple[frozenset[str], str | None]:
        """Planted faults of contact ``index`` and, for duplicate_email, the email it copies.

        Each fault draws from its own stream, so raising a rate only adds contacts to the faulty set.
        """
        planted: set[str] = set()
        duplicate_of: str | None = None
        for name in FAULTS:
            rate = self.faults.get(name, 0.0)
            if rate <= 0:
                continue
            rng = self._rng(index, "fault", name)
            if rng.random() >= rate:
                continue
            if name == "duplicate_email":
                if index == 0:
                    continue  # nobody earlier to copy from
                duplicate_of = self.profile(rng.randrange(index)).email
            planted.add(name)
        return frozenset(planted), duplicate_of

    def view(self, index: int, now_ms: int) -> ContactView:
        """Contact ``index`` as it looks at ``now_ms`` (the caller checks that it exists by then)."""
        faults, duplicate_of = self.faults_of(index)
        return ContactView(self.profile(index), now_ms, faults, duplicate_of)


def _timeline(rng: random.Random, created_ms: int, mql_multiplier: float) -> tuple[tuple[Stage, int], ...]:
    """Stage entries from creation on: a funnel where each step converts with some probability and delay."""
    stage = _ENTRY_STAGES[0][0]
    draw = rng.random()
    for candidate, share in _ENTRY_STAGES:
        if draw < share:
            stage = candidate
            break
        draw -= share
    entries = [(stage, created_ms)]
    at_ms = created_ms
    while stage in _PROGRESSION:
        step = None
        for next_stage, probability, mean_days in _PROGRESSION[stage]:
            boosted = probability * mql_multiplier if next_stage is Stage.MQL else probability
            if rng.random() < boosted:
                step = (next_stage, mean_days)
                break
        if step is None:
            break
        stage = step[0]
        at_ms += max(1, int(rng.expovariate(1 / step[1]) * DAY_MS))
        entries.append((stage, at_ms))
    return tuple(entries)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """HubSpot's timestamp format: ISO 8601 in UTC with milliseconds and a Z."""
    moment = datetime.fromtimestamp(ms // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
