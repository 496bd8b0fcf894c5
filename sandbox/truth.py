"""Ground truth of the story, computed from the simulation's own state (never from the API's JSON).

End-to-end tests compare what the warehouse reports with these numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.story import SLA_HOURS, SLA_MS, ContactView, Stage, Story, parse_instant, to_ms

# The glossary's canonical stages, in funnel order. HubSpot has no SAL; planted unknown values map to None.
CANONICAL_STAGES = ("subscriber", "lead", "mql", "sal", "sql", "opportunity", "customer", "evangelist", "other")

WeekStage = tuple[date, str | None]


def week_start(ms: int) -> date:
    """Monday of the UTC week containing the instant ``ms``."""
    day = datetime.fromtimestamp(ms // 1000, tz=UTC).date()
    return day - timedelta(days=day.weekday())


def _as_ms(as_of: datetime | str) -> int:
    return to_ms(parse_instant(as_of) if isinstance(as_of, str) else as_of)


def contacts_by_week_and_stage(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> dict[WeekStage, int]:
    """Active (non-archived) contacts existing at ``as_of``, by (Monday of createdate's UTC week, stage).

    The stage is the one recorded at ``as_of``, mapped to its canonical name; None for a planted unknown.
    """
    story = Story(seed, scale, dict(faults or {}))
    now_ms = _as_ms(as_of)
    counts: Counter[WeekStage] = Counter()
    for index in range(story.count_at(now_ms)):
        view = story.view(index, now_ms)
        if view.archived:
            continue
        stage = view.stage
        counts[(week_start(view.created_ms), stage.canonical if stage is not None else None)] += 1
    return dict(counts)


def _stage_order(stage: str | None) -> int:
    return CANONICAL_STAGES.index(stage) if stage is not None else len(CANONICAL_STAGES)


def truth_document(seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None) -> dict:
    """The JSON the ``truth`` command prints: parameters plus one row per (week, stage)."""
    counts = contacts_by_week_and_stage(seed, scale, as_of, faults)
    rows = [
        {"week": week.isoformat(), "stage": stage, "contacts": counts[(week, stage)]}
        for week, stage in sorted(counts, key=lambda key: (key[0], _stage_order(key[1])))
    ]
    as_of_text = as_of if isinstance(as_of, str) else as_of.isoformat()
    return {
        "seed": seed,
        "scale": scale,
        "as_of": as_of_text,
        "faults": dict(faults or {}),
        "canonical_stages": list(CANONICAL_STAGES),
        "contacts_by_week_and_stage": rows,
        "reporting_currency": REPORTING_CURRENCY,
        "fx_to_reporting_currency": {code: str(rate) for code, rate in FX_TO_REPORTING.items()},
        "sla_hours": SLA_HOURS,
        "channels": CHANNELS,
        "funnel_by_week_and_channel": funnel_rows(funnel_by_week_and_channel(seed, scale, as_of, faults)),
    }


# --- the funnel by week and channel (issue 3) ------------------------------------------------------------

# The primer's default channel taxonomy, applied to HubSpot's original source (hs_analytics_source).
CHANNELS = {
    "PAID_SEARCH": "paid_search",
    "PAID_SOCIAL": "paid_social",
    "ORGANIC_SEARCH": "organic_search",
    "EMAIL_MARKETING": "email",
    "REFERRALS": "referral",
    "DIRECT_TRAFFIC": "direct",
    "OFFLINE": "events",
    "SOCIAL_MEDIA": "organic_social",
    "OTHER_CAMPAIGNS": "other",
}
REPORTING_CURRENCY = "USD"
# Fixed rates (units of the reporting currency per unit of the deal currency), the same for every day.
FX_TO_REPORTING = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
FUNNEL_METRICS = ("leads", "first_mqls", "re_mqls", "sqls", "opportunities", "customers", "sla_breaches")
# A stage counts as passed once it or any later funnel stage is entered (skipped stages are inferred).
_FUNNEL_ORDER = (Stage.LEAD, Stage.MQL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER, Stage.EVANGELIST)
_FIRST_ENTRY_METRICS = (("leads", Stage.LEAD), ("sqls", Stage.SQL), ("opportunities", Stage.OPPORTUNITY))
_CENT = Decimal("0.01")

WeekChannel = tuple[date, str]


@dataclass
class FunnelCounts:
    leads: int = 0
    first_mqls: int = 0
    re_mqls: int = 0
    sqls: int = 0
    opportunities: int = 0
    customers: int = 0
    sla_breaches: int = 0
    won_revenue: Decimal = Decimal("0.00")  # in REPORTING_CURRENCY
    pipeline_created: Decimal = Decimal("0.00")  # in REPORTING_CURRENCY

    def as_row(self) -> dict[str, object]:
        row: dict[str, object] = {name: getattr(self, name) for name in FUNNEL_METRICS}
        row["won_revenue"] = str(self.won_revenue.quantize(_CENT))
        row["pipeline_created"] = str(self.pipeline_created.quantize(_CENT))
        return row


def to_reporting_currency(amount: int | Decimal, currency: str) -> Decimal:
    """One deal's amount in the reporting currency, rounded half-up to the cent (sums add rounded deals)."""
    return (Decimal(amount) * FX_TO_REPORTING[currency]).quantize(_CENT, rounding=ROUND_HALF_UP)


def first_entry(entries: tuple[tuple[Stage | None, int], ...], stage: Stage) -> int | None:
    """When ``stage`` was first passed: the first entry into it or any later funnel stage (inferred)."""
    later = set(_FUNNEL_ORDER[_FUNNEL_ORDER.index(stage) :])
    return next((ms for entered, ms in entries if entered in later), None)


def sla_breached(mql_ms: int, first_touch_ms: int | None, as_of_ms: int) -> bool:
    """An MQL breaches the SLA when its deadline has passed without a first touch by then."""
    deadline = mql_ms + SLA_MS
    return deadline < as_of_ms and (first_touch_ms is None or first_touch_ms > deadline)


def funnel_by_week_and_channel(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> dict[WeekChannel, FunnelCounts]:
    """The funnel per (Monday of the UTC week, channel), as the definitions in sandbox/README.md state them.

    People, not records: active contacts at ``as_of`` (archived and merged-away ones excluded) are grouped by
    normalised email (a contact without email is its own person); a person's channel is that of its earliest
    contact; each stage counts once, in the week it was first passed; every later MQL entry is a re-MQL.
    """
    story = Story(seed, scale, dict(faults or {}))
    now_ms = _as_ms(as_of)
    people = active_people(story, now_ms)
    funnel: dict[WeekChannel, FunnelCounts] = {}

    def add(ms: int, channel: str, metric: str, amount: int | Decimal = 1) -> None:
        counts = funnel.setdefault((week_start(ms), channel), FunnelCounts())
        setattr(counts, metric, getattr(counts, metric) + amount)

    for views in people.values():
        channel = CHANNELS[views[0].profile.source]  # views are in index order: the first is the earliest
        for metric, stage in (*_FIRST_ENTRY_METRICS, ("customers", Stage.CUSTOMER)):
            entries = [first_entry(view.recorded_stage_entries, stage) for view in views]
            known = [ms for ms in entries if ms is not None]
            if known:
                add(min(known), channel, metric)
        mqls: list[int] = []
        for view in views:
            actual = [ms for stage, ms in view.recorded_stage_entries if stage is Stage.MQL]
            inferred = first_entry(view.recorded_stage_entries, Stage.MQL)
            mqls += actual if actual else ([inferred] if inferred is not None else [])
            touched = {touch.mql_ms: touch.ms for touch in view.touches if touch.first}
            for mql_ms in actual:
                if sla_breached(mql_ms, touched.get(mql_ms), now_ms):
                    add(mql_ms, channel, "sla_breaches")
            deal = view.deal
            if deal is None:
                continue
            # The true amount (a planted negative one is the CRM's error): pipeline in the creation week ...
            amount = to_reporting_currency(deal.deal.amount, deal.deal.currency)
            add(deal.deal.created_ms, channel, "pipeline_created", amount)
            if deal.won:  # ... and won revenue in the week it closed won
                closed = deal.closed_ms
                assert closed is not None
                add(closed, channel, "won_revenue", amount)
        mqls.sort()
        for position, ms in enumerate(mqls):
            add(ms, channel, "first_mqls" if position == 0 else "re_mqls")
    return funnel


def funnel_rows(funnel: Mapping[WeekChannel, FunnelCounts]) -> list[dict[str, object]]:
    return [
        {"week": week.isoformat(), "channel": channel, **funnel[(week, channel)].as_row()}
        for week, channel in sorted(funnel)
    ]


def active_people(story: Story, now_ms: int) -> dict[str, list[ContactView]]:
    """The contacts active at ``now_ms``, grouped into people by normalised email (a contact without one is its
    own person), as the warehouse deduplicates them."""
    people: dict[str, list[ContactView]] = {}
    for index in range(story.count_at(now_ms)):
        view = story.view(index, now_ms)
        if view.archived:
            continue
        email = (view.email or "").strip().lower()
        people.setdefault(email or f"id:{view.id}", []).append(view)
    return people
