"""The seeded "smarketing story": a B2B company's contacts, computed lazily from (seed, index).

Every contact has a now-independent *profile* (who they are, when they were created, and the full
timeline of what will happen to them) drawn from its own ``random.Random`` seeded with (seed, index), in a
fixed order; its creation time, merges, planted faults and its company's name come from cheap keyed draws
instead (``sandbox.streams`` says why: seeding a stream is the expensive part).
The *view* of a contact at a given ``now`` keeps only the events that have already happened. Nothing is
ever materialised for the whole population, so a million contacts cost nothing until they are read.

A contact's timeline is a list of property changes (lifecyclestage, hs_lead_status, hubspot_owner_id,
hubspotscore, jobtitle, ...) with their source, plus sales touches (engagements) and at most one deal, all
drawn by ``_Journey``. Companies are computed from (seed, company index) the same way; merges are decided per
block of ``MERGE_BLOCK`` indices, so both contacts of a merged pair learn about it in O(1).

Creation times grow with the index (contact ``i`` is created in the i-th slot of an arrival process with
a weekly and a daily rhythm, jittered by one keyed draw), so "the contacts that exist at ``now``" is always a
prefix of the indices and ids ascend with the index.

Changing the order of random draws in this module changes every story: do it deliberately.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
import operator
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload
from zoneinfo import ZoneInfo

from sandbox.streams import pick, stream, uniform, uniforms

if TYPE_CHECKING:
    from sandbox.touches import FormTouch

EPOCH = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday: the first contact can be created from here on
DEFAULT_NOW = datetime(2026, 3, 30, tzinfo=UTC)
_UNIX_EPOCH_DATE = date(1970, 1, 1)
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


_STAGE_OF_VALUE = {stage.value: stage for stage in Stage}  # Stage(value), without the enum machinery per call
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

FAULTS = (
    "missing_email",
    "unknown_lifecycle",
    "duplicate_email",
    "negative_deal_amount",
    "schema_drift",
    "missing_lost_reason",
)
UNKNOWN_LIFECYCLE_VALUE = "bogus_stage"
# schema_drift: an integration creates this custom contact property at DRIFT_AT and writes it to a share of
# contacts (existing ones then, new ones at creation), so "the next night" meets a property it never saw.
DRIFT_PROPERTY = "sandbox_drift_property"
DRIFT_AT = datetime(2026, 3, 16, tzinfo=UTC)  # two weeks before DEFAULT_NOW, a Monday
DRIFT_VALUES = ("partner_portal", "webinar_platform", "chat_widget")

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
COMPANY_TLDS = (".com", ".io", ".co")
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

# --- the funnel: probabilities and mean delays (days) of each step ---------------------------------------
_ENTRY_STAGES = ((Stage.LEAD, 0.67), (Stage.SUBSCRIBER, 0.30), (Stage.OTHER, 0.03))
SUBSCRIBER_TO_LEAD = (0.45, 12.0)
LEAD_SKIPS_TO_OPPORTUNITY = (0.02, 10.0)  # sales-sourced: MQL and SQL are skipped
LEAD_TO_MQL = (0.30, 6.0)  # the probability is multiplied by the source's multiplier
RECYCLED_TO_MQL = (0.40, 20.0)  # a recycled lead becomes an MQL again (a re-MQL)
MAX_MQL_CYCLES = 3
TOUCH_PROBABILITY = 0.92  # share of MQLs sales touches at all
TOUCH_LAG_MEDIAN_HOURS = 7.0  # first touch lag after the MQL: lognormal, so some breach the SLA
TOUCH_LAG_SIGMA = 1.1
FOLLOW_UP_PROBABILITY = 0.5  # a second touch between the first one and the disposition
SLA_HOURS = 24
SLA_MS = SLA_HOURS * 3_600_000
DISPOSITION_DAYS = 3.0  # mean time from first touch to sales' disposition of the MQL
# disposition shares, in order: accepted (SQL), accepted straight to opportunity, rejected, recycled; the rest
# stays an open MQL
DISPOSITIONS = (("sql", 0.45), ("opportunity", 0.05), ("rejected", 0.20), ("recycled", 0.20))
SQL_TO_OPPORTUNITY = (0.55, 5.0)
CUSTOMER_TO_EVANGELIST = (0.12, 30.0)
DEAL_OUTCOMES = (("won", 0.35), ("lost", 0.45))  # the rest stays open
DEAL_DAYS_TO_CLOSE = 21.0
DEAL_EXPECTED_CLOSE_DAYS = 30
REJECTION_REASONS = ("no_budget", "not_decision_maker", "competitor_chosen", "bad_fit", "student_or_job_seeker")
# Sales' agreed reasons for a lost deal, entered in HubSpot's own `closed_lost_reason` when the deal closes lost
# (the glossary's seeds/glossary/glossary_deal_lost_reasons.csv is the same list).
LOST_REASONS = ("price", "competitor", "no_decision", "timing", "missing_feature", "went_dark")
CURRENCIES = (("USD", 0.55), ("EUR", 0.30), ("GBP", 0.15))
PRODUCTS = ("Starter Plan", "Growth Plan", "Enterprise Plan", "Analytics Add-on")
# HubSpot's default deal pipeline: (stage id, label, probability); closedwon and closedlost close a deal.
DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4"),
    ("presentationscheduled", "Presentation Scheduled", "0.6"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8"),
    ("contractsent", "Contract Sent", "0.9"),
    ("closedwon", "Closed Won", "1.0"),
    ("closedlost", "Closed Lost", "0.0"),
)
_OPEN_DEAL_STAGES = tuple(stage for stage, _, _ in DEAL_STAGES[1:5])
ENGAGEMENT_TYPES = (("calls", 0.5), ("emails", 0.35), ("meetings", 0.15))
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
ARCHIVE_PROBABILITY = 0.03
MERGE_BLOCK = 16  # contacts are merged in pairs inside blocks of this many indices
MERGE_PROBABILITY = 0.25  # chance that a block holds one merged pair (about 1.5% of contacts merged away)
OWNER_COUNT = 6
OWNER_NAMES = (("Alex", "Morgan"), ("Priya", "Shah"), ("Tom", "Becker"), ("Lucia", "Romero"), ("Kenji", "Sato"),
               ("Sarah", "OConnor"))  # fmt: skip
PORTAL_TIME_ZONE = ZoneInfo("America/New_York")  # date-only properties are midnight here, in UTC
INDUSTRIES = {
    "Analytics": "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "Systems": "COMPUTER_SOFTWARE",
    "Logistics": "LOGISTICS_AND_SUPPLY_CHAIN",
    "Health": "HOSPITAL_HEALTH_CARE",
    "Labs": "BIOTECHNOLOGY",
    "Software": "COMPUTER_SOFTWARE",
    "Foods": "FOOD_BEVERAGES",
    "Energy": "RENEWABLES_ENVIRONMENT",
    "Robotics": "MECHANICAL_OR_INDUSTRIAL_ENGINEERING",
    "Finance": "FINANCIAL_SERVICES",
    "Media": "MARKETING_AND_ADVERTISING",
    "Works": "CONSTRUCTION",
    "Cloud": "INFORMATION_TECHNOLOGY_AND_SERVICES",
    "Retail": "RETAIL",
}
COMPANY_TIERS = ("A", "B", "C")

# Ids: object index -> a HubSpot-looking id that grows with the index (reversible, see ``index_of``).
CONTACT_ID_BASE, CONTACT_ID_STEP = 101, 3
COMPANY_ID_BASE, COMPANY_ID_STEP = 5_000_000_001, 2
DEAL_ID_BASE, DEAL_ID_STEP = 7_000_000_001, 3
ENGAGEMENT_ID_BASE, ENGAGEMENT_SLOTS = 9_000_000_001, 8  # engagement k of contact i: BASE + 8 i + k

Option = TypeVar("Option")
Value = TypeVar("Value")


class memo(Generic[Value]):  # noqa: N801 - used like functools.cached_property
    """``functools.cached_property`` without its lock: Python 3.11 takes one on the first read of every property,
    a few times per contact served. The values are pure functions of a frozen object, so two threads racing on a
    first read at worst compute the same value twice."""

    def __init__(self, method: Callable[[Any], Value]) -> None:
        self.method = method
        self.name = method.__name__
        self.__doc__ = method.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> memo[Value]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Value: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> Value | memo[Value]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.method(instance)  # later reads find it there, not here
        return value


# One property change: (at ms, property, new value, sourceType, sourceId, updatedByUserId)
Change = tuple[int, str, str | None, str, str | None, int | None]
_at = operator.itemgetter(0)  # a change's time: the sort key of timelines


@dataclass(frozen=True)
class Owner:
    id: str
    user_id: int
    firstname: str
    lastname: str
    email: str
    team: str
    created_ms: int


@dataclass(frozen=True)
class Touch:
    """A sales engagement with a contact: the first touch after an MQL, or a follow-up."""

    ms: int
    kind: str  # calls | emails | meetings
    slot: int  # k in the engagement id
    owner_id: str
    first: bool  # the first touch after the MQL entered at ``mql_ms``
    mql_ms: int


@dataclass(frozen=True)
class Deal:
    index: int  # the contact's index
    id: str
    name: str
    amount: int
    currency: str
    product: str
    owner_id: str
    created_ms: int
    stages: tuple[tuple[str, int], ...]  # (deal stage id, entered at ms), chronological
    expected_close_ms: int
    lost_reason: str | None = None  # closed_lost_reason, set when the deal enters closedlost


@dataclass(frozen=True)
class Company:
    index: int
    id: str
    name: str
    domain: str
    industry: str
    tier: str
    created_ms: int
    employees: tuple[tuple[int, int], ...]  # (at ms, numberofemployees): a late update restates the size


@dataclass(frozen=True)
class Profile:
    """Everything about contact ``index`` that does not depend on ``now``: identity and full timeline."""

    index: int
    id: str
    created_ms: int
    firstname: str
    lastname: str
    email: str
    company_index: int
    company: str
    jobtitle: str
    source: str
    owner_id: str
    changes: tuple[Change, ...]  # chronological; the first ones are the creation's
    touches: tuple[Touch, ...]
    deal: Deal | None
    archived_ms: int | None  # archived (or merged away) then, if ever; nothing follows it
    merged_into: str | None = None  # id of the contact this one was merged into
    form_touches: tuple[FormTouch, ...] = ()  # tagged form submissions (their UTM writes are in ``changes``)

    @memo
    def stage_entries(self) -> tuple[tuple[Stage, int], ...]:
        return tuple((_STAGE_OF_VALUE[value], ms) for ms, name, value, *_ in self.changes if name == "lifecyclestage")


@dataclass(frozen=True)
class ContactView:
    """A contact as it looks at ``now``, with planted faults applied. ``stage`` None = unknown value."""

    profile: Profile
    now_ms: int
    faults: frozenset[str] = field(default_factory=frozenset)
    duplicate_of_email: str | None = None
    drift_at_ms: int | None = None  # when the schema_drift property appeared (only if that fault is on)

    @property
    def index(self) -> int:
        return self.profile.index

    @property
    def id(self) -> str:
        return self.profile.id

    @property
    def created_ms(self) -> int:
        return self.profile.created_ms

    @memo
    def changes(self) -> tuple[Change, ...]:
        """Property changes up to now, as recorded: unknown_lifecycle rewrites the newest lifecyclestage."""
        changes = [change for change in self.profile.changes if change[0] <= self.now_ms]
        drift = self._drift_change()
        if drift is not None:  # a real write: it is in the history and moves lastmodifieddate
            changes = sorted((*changes, drift), key=_at)
        if "unknown_lifecycle" in self.faults:
            for position in range(len(changes) - 1, -1, -1):
                if changes[position][1] == "lifecyclestage":
                    ms, name, _, *rest = changes[position]
                    changes[position] = (ms, name, UNKNOWN_LIFECYCLE_VALUE, *rest)  # type: ignore[assignment]
                    break
        return tuple(changes)

    def _drift_change(self) -> Change | None:
        """The schema_drift integration's write of DRIFT_PROPERTY, if it reached this contact by now."""
        if "schema_drift" not in self.faults or self.drift_at_ms is None:
            return None
        at = max(self.drift_at_ms, self.profile.created_ms)
        archived = self.profile.archived_ms
        if at > self.now_ms or (archived is not None and archived <= at):
            return None
        value = DRIFT_VALUES[self.profile.index % len(DRIFT_VALUES)]
        return (at, DRIFT_PROPERTY, value, "INTEGRATION", "sandbox-drift", None)

    @memo
    def values(self) -> dict[str, str | None]:
        """Current value of every property that changes over time: the newest entry of its history."""
        return {name: changes[0][2] for name, changes in self.histories.items()}

    def history(self, name: str) -> list[Change]:
        """Changes of property ``name``, newest first (as HubSpot lists them)."""
        return list(self.histories.get(name, ()))

    @memo
    def histories(self) -> dict[str, list[Change]]:
        """Every changed property's changes, newest first: one pass over the timeline for all of them."""
        histories: dict[str, list[Change]] = {}
        for change in reversed(self.changes):
            histories.setdefault(change[1], []).append(change)
        return histories

    @memo
    def stage_entries(self) -> tuple[tuple[Stage, int], ...]:
        """True lifecycle stage entries up to now (faults do not change what happened)."""
        return tuple(entry for entry in self.profile.stage_entries if entry[1] <= self.now_ms)

    @memo
    def recorded_stage_entries(self) -> tuple[tuple[Stage | None, int], ...]:
        """Lifecycle stage entries as the CRM recorded them; None for a planted unknown value."""
        return tuple(
            (_STAGE_OF_VALUE.get(value), ms)  # None for the planted UNKNOWN_LIFECYCLE_VALUE
            for ms, name, value, *_ in self.changes
            if name == "lifecyclestage"
        )

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
        return self.changes[-1][0]

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
        return self.values.get("hubspot_owner_id")

    @property
    def score(self) -> int:
        return int(self.values["hubspotscore"] or 0)

    @property
    def touches(self) -> tuple[Touch, ...]:
        return tuple(touch for touch in self.profile.touches if touch.ms <= self.now_ms)

    @property
    def form_touches(self) -> tuple[FormTouch, ...]:
        """Tagged form submissions up to now (marketing touch points; see ``sandbox.touches``)."""
        return tuple(touch for touch in self.profile.form_touches if touch.ms <= self.now_ms)

    @property
    def deal(self) -> DealView | None:
        deal = self.profile.deal
        if deal is None or deal.created_ms > self.now_ms:
            return None
        return DealView(
            deal,
            self.now_ms,
            negative_amount="negative_deal_amount" in self.faults,
            lost_reason_missing="missing_lost_reason" in self.faults,
        )


@dataclass(frozen=True)
class DealView:
    deal: Deal
    now_ms: int
    negative_amount: bool = False  # the negative_deal_amount fault: the CRM holds the amount with a minus sign
    lost_reason_missing: bool = False  # the missing_lost_reason fault: sales closed it lost without a reason

    @property
    def amount(self) -> int:
        """The amount as recorded in the CRM (``deal.amount`` stays the true one)."""
        return -self.deal.amount if self.negative_amount else self.deal.amount

    @memo
    def stages(self) -> tuple[tuple[str, int], ...]:
        return tuple(entry for entry in self.deal.stages if entry[1] <= self.now_ms)

    @property
    def stage(self) -> str:
        return self.stages[-1][0]

    @property
    def closed_ms(self) -> int | None:
        stage, ms = self.stages[-1]
        return ms if stage in ("closedwon", "closedlost") else None

    @property
    def won(self) -> bool:
        return self.stage == "closedwon"

    @property
    def lost(self) -> bool:
        return self.stage == "closedlost"

    @property
    def lost_reason(self) -> str | None:
        """``closed_lost_reason`` as recorded in the CRM: the agreed reason once lost (unless the fault drops it)."""
        return self.deal.lost_reason if self.lost and not self.lost_reason_missing else None

    @property
    def updated_ms(self) -> int:
        return self.stages[-1][1]

    @property
    def close_date_ms(self) -> int:
        """``closedate``: the day it closed, or the expected day; a date-only value (portal midnight, in UTC)."""
        closed = self.closed_ms
        return portal_midnight(closed if closed is not None else self.deal.expected_close_ms)


def portal_midnight(ms: int) -> int:
    """Midnight (in the portal's time zone) of the portal-local day containing ``ms``, as epoch ms."""
    local = datetime.fromtimestamp(ms / 1000, tz=PORTAL_TIME_ZONE)
    midnight = datetime(local.year, local.month, local.day, tzinfo=PORTAL_TIME_ZONE)
    return int(midnight.timestamp() * 1000)


@dataclass(frozen=True)
class CompanyView:
    company: Company
    now_ms: int

    @property
    def employees(self) -> int:
        return [count for ms, count in self.company.employees if ms <= self.now_ms][-1]

    @property
    def updated_ms(self) -> int:
        return [ms for ms, _ in self.company.employees if ms <= self.now_ms][-1]


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


class _Weighted:
    """Options with relative weights, summed once."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        self.options = tuple(weights)
        self.cumulative = tuple(itertools.accumulate(weights.values()))

    def draw(self, rng: random.Random) -> str:
        """What ``rng.choices(options, weights)[0]`` draws (the same bisection of one ``random()``), without
        building its lists on every call."""
        last = len(self.options) - 1
        return self.options[bisect.bisect(self.cumulative, rng.random() * self.cumulative[-1], 0, last)]


_JOB_TITLE_WEIGHTS = _Weighted(JOB_TITLES)
_SOURCE_WEIGHTS = _Weighted({name: share for name, (share, _) in SOURCES.items()})


def _pick(rng: random.Random, shares: tuple[tuple[Option, float], ...]) -> Option | None:
    """The first option whose cumulative share exceeds one uniform draw; None for the remainder."""
    draw = rng.random()
    for option, share in shares:
        if draw < share:
            return option
        draw -= share
    return None


def _delay(rng: random.Random, mean_days: float) -> int:
    return max(1, int(rng.expovariate(1 / mean_days) * DAY_MS))


def _lognormal_of(draw: float, angle: float, mu: float, sigma: float) -> float:
    """A lognormal variate (as ``random.lognormvariate(mu, sigma)``) from two uniform draws (Box-Muller)."""
    normal = math.sqrt(-2.0 * math.log(1.0 - draw)) * math.cos(2.0 * math.pi * angle)
    return math.exp(mu + sigma * normal)


def _delay_of(draw: float, mean_days: float) -> int:
    """An exponential delay (ms, at least 1) with mean ``mean_days``, from a uniform ``draw`` in [0, 1)."""
    return max(1, int(-math.log(1.0 - draw) * mean_days * DAY_MS))


def index_of(object_id: str, base: int, step: int) -> int | None:
    """The index an id was made from (``base + step * index + r`` with ``0 <= r < step``), if it can be."""
    if not object_id.isdigit():
        return None
    offset = int(object_id) - base
    return offset // step if offset >= 0 else None


@dataclass(frozen=True)
class Story:
    """The seeded world. ``scale`` contacts are created between EPOCH and DEFAULT_NOW; more follow later."""

    seed: int
    scale: int
    faults: Mapping[str, float] = field(default_factory=dict)
    drift_at_ms: int = field(default=int(DRIFT_AT.timestamp() * 1000))

    @property
    def drift_active(self) -> bool:
        return self.faults.get("schema_drift", 0.0) > 0

    def __post_init__(self) -> None:
        unknown = set(self.faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: {', '.join(FAULTS)}")
        if self.scale < 0:
            raise ValueError("scale must not be negative")

    def _stream(self, *parts: object) -> random.Random:
        """The random stream of ``parts`` in this story; one per contact (``sandbox.streams`` says why)."""
        return stream(self.seed, *parts)

    @cached_property
    def _contacts_per_mass(self) -> float:
        return self.scale / _days_to_mass(STORY_DAYS)

    @cached_property
    def owners(self) -> tuple[Owner, ...]:
        rng = self._stream("owners")
        owners = []
        for position, (first, last) in enumerate(OWNER_NAMES[:OWNER_COUNT]):
            owners.append(
                Owner(
                    id=str(rng.randrange(10_000_000, 99_999_999)),
                    user_id=rng.randrange(1_000_000, 9_999_999),
                    firstname=first,
                    lastname=last,
                    email=f"{first}.{last}@smarketing.example".lower(),
                    team="Inbound Sales" if position % 2 == 0 else "Outbound Sales",
                    created_ms=EPOCH_MS - (90 + 30 * position) * DAY_MS,
                )
            )
        return tuple(owners)

    @cached_property
    def owner_ids(self) -> tuple[str, ...]:
        return tuple(owner.id for owner in self.owners)

    @cached_property
    def _user_of_owner(self) -> dict[str, int]:
        return {owner.id: owner.user_id for owner in self.owners}

    def created_ms(self, index: int) -> int:
        """Creation time of the contact in slot ``index``: a keyed draw, so no stream is built to know it."""
        mass = (index + uniform(self.seed, "arrival", index)) / self._contacts_per_mass
        days = _mass_to_days(mass)
        whole = math.floor(days)
        return EPOCH_MS + int((whole + _diurnal(days - whole)) * DAY_MS)

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

    # --- contacts -------------------------------------------------------------------------------------

    def _base_profile(self, index: int) -> Profile:
        """Contact ``index`` before merges are applied."""
        rng = self._stream(index)
        created_ms = self.created_ms(index)
        contact_id = str(CONTACT_ID_BASE + CONTACT_ID_STEP * index + rng.randrange(CONTACT_ID_STEP))
        firstname = rng.choice(FIRST_NAMES)
        lastname = rng.choice(LAST_NAMES)
        company_index = rng.randrange(index // 4 + 1)  # companies exist before their contacts
        company_name, company_domain, _ = self.company_brand(company_index)
        jobtitle = _JOB_TITLE_WEIGHTS.draw(rng)
        source = _SOURCE_WEIGHTS.draw(rng)
        score_jitter = rng.randrange(16)
        owner_id = rng.choice(self.owner_ids)
        journey = _Journey(rng, created_ms, source, score_jitter, owner_id, self._user_of_owner[owner_id])
        journey.change(created_ms, "jobtitle", jobtitle, "IMPORT" if source == "OFFLINE" else "FORM")
        journey.run(SOURCES[source][1])
        for _ in range(rng.randrange(4)):  # late edits: the job title is restated
            at = created_ms + int(rng.expovariate(1 / 15) * DAY_MS)
            journey.change(at, "jobtitle", _JOB_TITLE_WEIGHTS.draw(rng), "INTEGRATION", "enrichment")
        deal = None
        if journey.deal_stages:
            deal = Deal(
                index=index,
                id=str(DEAL_ID_BASE + DEAL_ID_STEP * index + rng.randrange(DEAL_ID_STEP)),
                name=f"{company_name} - {journey.product}",
                amount=journey.amount,
                currency=journey.currency,
                product=journey.product,
                owner_id=owner_id,
                created_ms=journey.deal_stages[0][1],
                stages=tuple(journey.deal_stages),
                expected_close_ms=journey.deal_stages[0][1] + DEAL_EXPECTED_CLOSE_DAYS * DAY_MS,
                lost_reason=self._lost_reason(index) if journey.deal_stages[-1][0] == "closedlost" else None,
            )
        archived_ms = None
        if rng.random() < ARCHIVE_PROBABILITY:
            archived_ms = created_ms + int(rng.expovariate(1 / 20) * DAY_MS)
        # Tagged form submissions draw last: appended to the stream, they leave every earlier draw as it was.
        form_touches, utm_writes = self._form_touches(index, source, created_ms, rng)
        journey.changes.extend(utm_writes)
        changes = sorted(journey.changes, key=_at)  # stable: same-ms order kept
        profile = Profile(
            index=index,
            id=contact_id,
            created_ms=created_ms,
            firstname=firstname,
            lastname=lastname,
            email=f"{firstname}.{lastname}{index}@{company_domain}".lower(),
            company_index=company_index,
            company=company_name,
            jobtitle=jobtitle,
            source=source,
            owner_id=owner_id,
            changes=tuple(changes),
            touches=tuple(journey.touches),
            deal=deal,
            archived_ms=None,
            form_touches=form_touches,
        )
        return _cut(profile, archived_ms) if archived_ms is not None else profile

    def _lost_reason(self, index: int) -> str:
        """The reason sales gives for contact ``index``'s lost deal: its own keyed draw, so no other draw moves."""
        return pick(LOST_REASONS, uniform(self.seed, index, "lost-reason"))

    def _form_touches(
        self, index: int, source: str, created_ms: int, rng: random.Random
    ) -> tuple[tuple[FormTouch, ...], list[Change]]:
        """Contact ``index``'s tagged form submissions and the UTM property writes they make (``sandbox.touches``)."""
        from sandbox.touches import form_touches, touch_changes  # it needs the ad story, which needs this module

        touches = form_touches(self.seed, index, source, created_ms, rng)
        return touches, touch_changes(touches)

    def _merge_pair(self, index: int) -> tuple[int, int, int] | None:
        """(survivor, merged-away, merged at ms) of the block holding ``index``, if that block has a merge."""
        return self._block_merges(index // MERGE_BLOCK)

    @cached_property
    def _block_merges(self) -> Callable[[int], tuple[int, int, int] | None]:
        """``_block_merge``, remembered for the last few blocks: a scan asks every block once per contact in it."""
        return lru_cache(maxsize=64)(self._block_merge)

    def _block_merge(self, block: int) -> tuple[int, int, int] | None:
        happens, first, second, delay = uniforms(4, self.seed, "merge", block)  # keyed draws: no stream
        if happens >= MERGE_PROBABILITY:
            return None
        one = int(first * MERGE_BLOCK)
        other = int(second * (MERGE_BLOCK - 1))  # one of the other slots, equally likely
        other += other >= one
        survivor, merged = sorted((block * MERGE_BLOCK + one, block * MERGE_BLOCK + other))
        merge_ms = max(self.created_ms(survivor), self.created_ms(merged)) + _delay_of(delay, 10.0)
        return survivor, merged, merge_ms

    def profile(self, index: int) -> Profile:
        profile = self._base_profile(index)
        pair = self._merge_pair(index)
        if pair is None or index not in pair[:2]:
            return profile
        survivor, merged, merge_ms = pair
        other = self._base_profile(merged if index == survivor else survivor)
        if any(p.archived_ms is not None and p.archived_ms <= merge_ms for p in (profile, other)):
            return profile  # one of them was gone before anyone merged them
        if index == merged:
            return replace(_cut(profile, merge_ms), merged_into=other.id)
        change: Change = (merge_ms, "hs_merged_object_ids", other.id, "CRM_UI", None, None)
        return replace(profile, changes=tuple(sorted((*profile.changes, change), key=_at)))

    def faults_of(self, index: int) -> tuple[frozenset[str], str | None]:
        """Planted faults of contact ``index`` and, for duplicate_email, the email it copies.

        Each fault has its own keyed draws, so raising a rate only adds contacts to the faulty set.
        """
        planted: set[str] = set()
        duplicate_of: str | None = None
        for name in FAULTS:
            rate = self.faults.get(name, 0.0)
            if rate <= 0:
                continue
            hit, which = uniforms(2, self.seed, index, "fault", name)
            if hit >= rate:
                continue
            if name == "duplicate_email":
                if index == 0:
                    continue  # nobody earlier to copy from
                duplicate_of = self.profile(int(which * index)).email
            planted.add(name)
        return frozenset(planted), duplicate_of

    def view(self, index: int, now_ms: int) -> ContactView:
        """Contact ``index`` as it looks at ``now_ms`` (the caller checks that it exists by then)."""
        faults, duplicate_of = self.faults_of(index)
        drift_at_ms = self.drift_at_ms if self.drift_active else None
        return ContactView(self.profile(index), now_ms, faults, duplicate_of, drift_at_ms)

    # --- companies ------------------------------------------------------------------------------------

    def company_created_ms(self, company_index: int) -> int:
        """Companies are imported a minute before the contact in slot ``4 * index`` (so they grow in order)."""
        return self.created_ms(4 * company_index) - 60_000

    def company_count_at(self, now_ms: int) -> int:
        """Companies created by ``now_ms``: company c exists once contact slot 4c is a minute away."""
        return (self.count_at(now_ms + 60_000) + 3) // 4

    def company_brand(self, company_index: int) -> tuple[str, str, str]:
        """(name, domain, industry) of a company: keyed draws, as every contact's profile needs them."""
        prefix_draw, suffix_draw, tld_draw = uniforms(3, self.seed, "company", company_index)
        prefix, suffix = pick(COMPANY_PREFIXES, prefix_draw), pick(COMPANY_SUFFIXES, suffix_draw)
        domain = f"{prefix}{suffix}{company_index}{pick(COMPANY_TLDS, tld_draw)}".lower()
        return f"{prefix} {suffix}", domain, INDUSTRIES[suffix]

    def company(self, company_index: int) -> Company:
        """The whole company: its brand, then size, id and tier from keyed draws of their own (a handful)."""
        name, domain, industry = self.company_brand(company_index)
        size, size_angle, restated, restated_after, restated_factor, id_draw, tier = uniforms(
            7, self.seed, "company-details", company_index
        )
        employees = int(min(50_000, max(2, _lognormal_of(size, size_angle, math.log(120), 1.4))))
        created_ms = self.company_created_ms(company_index)
        sizes = [(created_ms, employees)]
        if restated < 0.3:  # a late update restates the head count
            new_size = max(2, int(employees * (0.8 + 0.7 * restated_factor)))
            sizes.append((created_ms + _delay_of(restated_after, 30.0), new_size))
        return Company(
            index=company_index,
            id=str(COMPANY_ID_BASE + COMPANY_ID_STEP * company_index + int(id_draw * COMPANY_ID_STEP)),
            name=name,
            domain=domain,
            industry=industry,
            tier=pick(COMPANY_TIERS, tier),
            created_ms=created_ms,
            employees=tuple(sizes),
        )


def _cut(profile: Profile, end_ms: int) -> Profile:
    """The profile with nothing after ``end_ms`` (archived or merged away then)."""
    deal = profile.deal
    if deal is not None:
        stages = tuple(entry for entry in deal.stages if entry[1] <= end_ms)
        deal = replace(deal, stages=stages) if stages else None
    return replace(
        profile,
        changes=tuple(change for change in profile.changes if change[0] <= end_ms),
        touches=tuple(touch for touch in profile.touches if touch.ms <= end_ms),
        deal=deal,
        archived_ms=end_ms,
        form_touches=tuple(touch for touch in profile.form_touches if touch.ms <= end_ms),
    )


class _Journey:
    """Draws one contact's way through the funnel: property changes, sales touches and a deal."""

    def __init__(
        self, rng: random.Random, created_ms: int, source: str, score_jitter: int, owner_id: str, user_id: int
    ) -> None:
        self.rng = rng
        self.created_ms = created_ms
        self.source = source
        self.score_jitter = score_jitter
        self.owner_id = owner_id
        self.user_id = user_id
        self.changes: list[Change] = []
        self.touches: list[Touch] = []
        self.deal_stages: list[tuple[str, int]] = []
        self.amount = 0
        self.currency = "USD"
        self.product = PRODUCTS[0]
        self.owned = False

    def change(
        self, ms: int, name: str, value: str | None, source: str = "CRM_UI", source_id: str | None = None
    ) -> None:
        user = self.user_id if source == "CRM_UI" else None
        self.changes.append((ms, name, value, source, source_id, user))

    def stage(self, ms: int, stage: Stage, source: str, source_id: str | None = None) -> None:
        self.change(ms, "lifecyclestage", stage.value, source, source_id)
        self.change(ms, "hubspotscore", str(_SCORE_BASE[stage] + self.score_jitter), "CALCULATED")

    def own(self, ms: int, source: str) -> None:
        if not self.owned:
            self.owned = True
            self.change(ms, "hubspot_owner_id", self.owner_id, source, "lead-rotation" if source != "CRM_UI" else None)

    def run(self, mql_multiplier: float) -> None:
        rng = self.rng
        entry = _pick(rng, _ENTRY_STAGES) or Stage.LEAD
        created_by = "IMPORT" if self.source == "OFFLINE" else "FORM"
        self.stage(self.created_ms, entry, created_by)
        if entry is Stage.OTHER:
            return
        at = self.created_ms
        if entry is Stage.SUBSCRIBER:
            probability, mean_days = SUBSCRIBER_TO_LEAD
            if rng.random() >= probability:
                return
            at += _delay(rng, mean_days)
            self.stage(at, Stage.LEAD, "AUTOMATION_PLATFORM", "workflow:lead-conversion")
        self.change(at, "hs_lead_status", "NEW", "AUTOMATION_PLATFORM", "workflow:lead-conversion")
        if rng.random() < LEAD_SKIPS_TO_OPPORTUNITY[0]:
            at += _delay(rng, LEAD_SKIPS_TO_OPPORTUNITY[1])
            self.own(at, "CRM_UI")
            self.opportunity(at)
            return
        for cycle in range(MAX_MQL_CYCLES):
            probability, mean_days = LEAD_TO_MQL if cycle == 0 else RECYCLED_TO_MQL
            if rng.random() >= (probability * mql_multiplier if cycle == 0 else probability):
                return
            at += _delay(rng, mean_days)
            self.stage(at, Stage.MQL, "AUTOMATION_PLATFORM", "workflow:mql-scoring")
            self.own(at, "AUTOMATION_PLATFORM")
            self.change(at, "hs_lead_status", "OPEN", "AUTOMATION_PLATFORM", "workflow:mql-scoring")
            if rng.random() >= TOUCH_PROBABILITY:
                return  # never worked: the MQL stays open and breaches the SLA
            mql_ms = at
            at += max(60_000, int(rng.lognormvariate(math.log(TOUCH_LAG_MEDIAN_HOURS), TOUCH_LAG_SIGMA) * 3_600_000))
            kind = _pick(rng, ENGAGEMENT_TYPES) or "calls"
            self.touch(at, kind, first=True, mql_ms=mql_ms)
            self.change(at, "hs_lead_status", "CONNECTED" if kind == "meetings" else "ATTEMPTED_TO_CONTACT")
            disposed = at + _delay(rng, DISPOSITION_DAYS)
            if rng.random() < FOLLOW_UP_PROBABILITY:  # before the disposition, so before any re-MQL
                follow_up = at + 1 + int(rng.random() * (disposed - at - 1))
                self.touch(follow_up, _pick(rng, ENGAGEMENT_TYPES) or "emails", first=False, mql_ms=mql_ms)
            at = disposed
            disposition = _pick(rng, DISPOSITIONS)
            if disposition == "sql":
                self.stage(at, Stage.SQL, "CRM_UI")
                self.change(at, "hs_lead_status", "IN_PROGRESS")
                probability, mean_days = SQL_TO_OPPORTUNITY
                if rng.random() < probability:
                    self.opportunity(at + _delay(rng, mean_days))
                return
            if disposition == "opportunity":
                self.opportunity(at)
                return
            if disposition == "rejected":
                self.stage(at, Stage.LEAD, "CRM_UI")
                self.change(at, "hs_lead_status", "UNQUALIFIED")
                self.change(at, "sales_rejection_reason", rng.choice(REJECTION_REASONS))
                return
            if disposition != "recycled":
                self.change(at, "hs_lead_status", "IN_PROGRESS")
                return  # accepted for follow-up, not yet qualified either way
            self.stage(at, Stage.LEAD, "CRM_UI")
            self.change(at, "hs_lead_status", "BAD_TIMING")

    def touch(self, ms: int, kind: str, first: bool, mql_ms: int) -> None:
        if len(self.touches) < ENGAGEMENT_SLOTS:
            self.touches.append(Touch(ms, kind, len(self.touches), self.owner_id, first, mql_ms))

    def opportunity(self, at: int) -> None:
        """The contact becomes an opportunity: a deal opens and may be won (customer) or lost."""
        rng = self.rng
        self.stage(at, Stage.OPPORTUNITY, "CRM_UI")
        self.change(at, "hs_lead_status", "OPEN_DEAL")
        self.currency = _pick(rng, CURRENCIES) or "USD"
        self.product = rng.choice(PRODUCTS)
        self.amount = int(rng.lognormvariate(math.log(12_000), 0.7)) // 100 * 100 + 100
        outcome = _pick(rng, DEAL_OUTCOMES)
        duration = _delay(rng, DEAL_DAYS_TO_CLOSE)
        steps = sorted(rng.sample(_OPEN_DEAL_STAGES, rng.randint(0 if outcome == "lost" else 1, 3)))
        steps.sort(key=_OPEN_DEAL_STAGES.index)
        times = sorted(at + rng.randrange(1, duration) for _ in steps)
        self.deal_stages = [("appointmentscheduled", at), *zip(steps, times, strict=True)]
        if outcome is None:
            return
        close = at + duration
        self.deal_stages.append(("closedwon" if outcome == "won" else "closedlost", close))
        if outcome == "won":
            self.stage(close, Stage.CUSTOMER, "AUTOMATION_PLATFORM", "deal-closed-won")
            probability, mean_days = CUSTOMER_TO_EVANGELIST
            if rng.random() < probability:
                self.stage(close + _delay(rng, mean_days), Stage.EVANGELIST, "CRM_UI")


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def to_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """HubSpot's timestamp format: ISO 8601 in UTC with milliseconds and a Z."""
    day, rest = divmod(ms, DAY_MS)
    seconds, millis = divmod(rest, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{_iso_day(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


@lru_cache(maxsize=4096)
def _iso_day(day: int) -> str:
    """The date of day ``day`` since 1970-01-01 (UTC); cached: every object renders a few timestamps."""
    return (_UNIX_EPOCH_DATE + timedelta(days=day)).isoformat()
