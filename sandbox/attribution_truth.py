"""Ground truth of marketing touch points and multi-touch attribution, from the simulation (never the API's JSON).

Definitions (the glossary's defaults; see sandbox/README.md, "Touch points and attribution"):

- **Population and people** as in ``sandbox.truth.funnel_by_week_and_channel``: active contacts at ``as_of``,
  grouped by normalised email.
- **Touch point**: a tagged form submission (``sandbox.touches``) of one of the person's contacts by ``as_of``,
  ordered by time (then by ``<contact id>@<epoch ms>``). Its channel is the UTM rule for its ``utm_medium``
  (``UTM_MEDIUM_CHANNELS``; ``event...`` -> events; anything else -> other), its campaign its ``utm_campaign``.
- **Conversions**: the person's first MQL (actual or inferred entry, as the funnel truth counts first MQLs), their
  first passage of the opportunity and of the customer stage, and each won deal (revenue in USD per deal, rounded
  to the cent, at ``sandbox.truth.FX_TO_REPORTING``). Each counts in the UTC month it happened.
- **Path** of a conversion: the person's touch points at or before it; a conversion without one is not attributed.
  **Milestone**: the last touch point by the person's first MQL (capped at the conversion), else the first.
- **Models** (``ATTRIBUTION_MODELS``): anchor shares for the first, milestone and last touch point (adding up
  where they coincide), the spread share evenly over the touch points no weighted anchor falls on (over the
  anchors' touch points when there are none). Weights rounded half-up to 6 decimals, the last touch point takes
  the remainder; won revenue split to the cent the same way (rounded weight x revenue, remainder to the last).
- **Channel performance**: per (month, channel, campaign, model) the credited conversions and revenue, plus the
  campaign's delivery that month (``sandbox.ads.truth.delivery_rows``: USD spend summed exactly, then rounded
  half-up to the cent once; impressions; clicks), the same for every model. CAC = spend / attributed customers
  (2 decimals; None without spend or customers), ROAS = attributed revenue / spend (4 decimals; None without
  spend).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sandbox.ads.story import CHANNEL
from sandbox.ads.truth import delivery_rows
from sandbox.story import ContactView, Stage, Story, parse_instant, to_ms
from sandbox.truth import active_people, first_entry, to_reporting_currency

# (first touch, milestone, last touch, spread) shares: the seed glossary_attribution_models.
ATTRIBUTION_MODELS: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]] = {
    "first_touch": (Decimal(1), Decimal(0), Decimal(0), Decimal(0)),
    "last_touch": (Decimal(0), Decimal(0), Decimal(1), Decimal(0)),
    "linear": (Decimal(0), Decimal(0), Decimal(0), Decimal(1)),
    "u_shaped": (Decimal("0.4"), Decimal(0), Decimal("0.4"), Decimal("0.2")),
    "w_shaped": (Decimal("0.3"), Decimal("0.3"), Decimal("0.3"), Decimal("0.1")),
}
# The default `utm` rules of glossary_channel_rules (all on utm_medium).
UTM_MEDIUM_CHANNELS = {
    "cpc": "paid_search",
    "ppc": "paid_search",
    "paid_social": "paid_social",
    "paidsocial": "paid_social",
    "email": "email",
    "social": "organic_social",
    "referral": "referral",
}
# The Performance field each kind of conversion is credited to.
CREDITED_AS = {
    "mql": "attributed_mqls",
    "opportunity": "attributed_opportunities",
    "customer": "attributed_customers",
    "won_deal": "attributed_revenue",
}
_WEIGHT = Decimal("0.000001")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class TouchPoint:
    ms: int
    contact_id: str
    channel: str
    campaign_id: str

    @property
    def touch_id(self) -> str:
        return f"{self.contact_id}@{self.ms}"


@dataclass(frozen=True)
class Conversion:
    kind: str  # mql | opportunity | customer | won_deal
    ms: int
    milestone_ms: int | None  # the person's first MQL, capped at the conversion
    revenue: Decimal | None  # won deals only, USD


@dataclass
class Performance:
    spend: Decimal = Decimal(0)  # exact USD until rounded by channel_performance
    impressions: int = 0
    clicks: int = 0
    attributed_mqls: Decimal = Decimal(0)
    attributed_opportunities: Decimal = Decimal(0)
    attributed_customers: Decimal = Decimal(0)
    attributed_revenue: Decimal = Decimal(0)

    @property
    def cac(self) -> Decimal | None:
        if self.spend <= 0 or self.attributed_customers <= 0:
            return None
        return (self.spend / self.attributed_customers).quantize(_CENT, rounding=ROUND_HALF_UP)

    @property
    def roas(self) -> Decimal | None:
        if self.spend <= 0:
            return None
        return (self.attributed_revenue / self.spend).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


PerformanceKey = tuple[date, str, str, str]  # (month, channel, campaign id, model)


def utm_channel(medium: str) -> str:
    medium = medium.strip().lower()
    if medium in UTM_MEDIUM_CHANNELS:
        return UTM_MEDIUM_CHANNELS[medium]
    return "events" if medium.startswith("event") else "other"


def month_of(ms: int) -> date:
    return datetime.fromtimestamp(ms // 1000, tz=UTC).date().replace(day=1)


def attribution_weights(path_length: int, milestone: int, model: str) -> list[Decimal]:
    """The rounded weights of a path of ``path_length`` touch points whose milestone is touch ``milestone``
    (0-based), in path order; they sum to exactly 1."""
    first, middle, last, spread = ATTRIBUTION_MODELS[model]
    anchors = {0: first}
    anchors[milestone] = anchors.get(milestone, Decimal(0)) + middle
    anchors[path_length - 1] = anchors.get(path_length - 1, Decimal(0)) + last
    weighted = {position for position, share in ((0, first), (milestone, middle), (path_length - 1, last)) if share}
    others = [position for position in range(path_length) if position not in weighted]
    receivers = others or sorted(weighted)
    exact = [anchors.get(position, Decimal(0)) for position in range(path_length)]
    for position in receivers:
        exact[position] += spread / len(receivers)
    rounded = [weight.quantize(_WEIGHT, rounding=ROUND_HALF_UP) for weight in exact[:-1]]
    return [*rounded, Decimal(1) - sum(rounded, Decimal(0))]


def revenue_shares(revenue: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``revenue`` split by ``weights`` to the cent, the last share taking the remainder."""
    shares = [(revenue * weight).quantize(_CENT, rounding=ROUND_HALF_UP) for weight in weights[:-1]]
    return [*shares, revenue - sum(shares, Decimal(0))]


def people_touch_points_and_conversions(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> list[tuple[list[TouchPoint], list[Conversion]]]:
    """Per person (active contacts at ``as_of`` grouped by normalised email): touch points in order, conversions."""
    story = Story(seed, scale, dict(faults or {}))
    now_ms = to_ms(parse_instant(as_of) if isinstance(as_of, str) else as_of)
    people = active_people(story, now_ms)
    result = []
    for views in people.values():
        touches = sorted(
            (
                TouchPoint(touch.ms, view.id, utm_channel(touch.utm_medium), touch.utm_campaign)
                for view in views
                for touch in view.form_touches
            ),
            key=lambda touch: (touch.ms, touch.touch_id),
        )
        result.append((touches, _conversions(views)))
    return result


def _conversions(views: list[ContactView]) -> list[Conversion]:
    mqls: list[int] = []
    for view in views:
        actual = [ms for stage, ms in view.recorded_stage_entries if stage is Stage.MQL]
        inferred = first_entry(view.recorded_stage_entries, Stage.MQL)
        mqls += actual if actual else ([inferred] if inferred is not None else [])
    first_mql = min(mqls, default=None)
    moments: list[tuple[str, int, Decimal | None]] = []
    if first_mql is not None:
        moments.append(("mql", first_mql, None))
    for kind, stage in (("opportunity", Stage.OPPORTUNITY), ("customer", Stage.CUSTOMER)):
        passed = [ms for view in views if (ms := first_entry(view.recorded_stage_entries, stage)) is not None]
        if passed:
            moments.append((kind, min(passed), None))
    for view in views:
        deal = view.deal
        if deal is not None and deal.won:
            assert deal.closed_ms is not None
            moments.append(("won_deal", deal.closed_ms, to_reporting_currency(deal.deal.amount, deal.deal.currency)))
    return [
        Conversion(kind, ms, None if first_mql is None else min(first_mql, ms), revenue)
        for kind, ms, revenue in moments
    ]


def _milestone_position(path: list[TouchPoint], milestone_ms: int | None) -> int:
    """0-based position of the last touch point by ``milestone_ms``; the first when there is none."""
    by_milestone = 0 if milestone_ms is None else sum(1 for touch in path if touch.ms <= milestone_ms)
    return max(by_milestone, 1) - 1


def channel_performance(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> dict[PerformanceKey, Performance]:
    """``marts.channel_performance`` as the definitions above give it (spend rounded to the cent)."""
    table: dict[PerformanceKey, Performance] = defaultdict(Performance)
    for touches, conversions in people_touch_points_and_conversions(seed, scale, as_of, faults):
        for conversion in conversions:
            path = [touch for touch in touches if touch.ms <= conversion.ms]
            if not path:
                continue
            milestone = _milestone_position(path, conversion.milestone_ms)
            credited_as = CREDITED_AS[conversion.kind]
            for model in ATTRIBUTION_MODELS:
                weights = attribution_weights(len(path), milestone, model)
                credits = weights if conversion.revenue is None else revenue_shares(conversion.revenue, weights)
                for touch, credit in zip(path, credits, strict=True):
                    row = table[(month_of(conversion.ms), touch.channel, touch.campaign_id, model)]
                    setattr(row, credited_as, getattr(row, credited_as) + credit)
    for delivery in delivery_rows(seed, as_of):
        for model in ATTRIBUTION_MODELS:
            row = table[(delivery.day.replace(day=1), CHANNEL[delivery.platform], delivery.campaign_id, model)]
            row.spend += delivery.spend_usd
            row.impressions += delivery.impressions
            row.clicks += delivery.clicks
    for row in table.values():
        row.spend = row.spend.quantize(_CENT, rounding=ROUND_HALF_UP)
    return dict(table)


def truth_document(
    seed: int, scale: int, as_of: datetime | str, faults: Mapping[str, float] | None = None
) -> dict[str, object]:
    """The attribution part of ``python -m sandbox truth``: channel performance rows and the model weights."""
    rows = []
    for (month, channel, campaign_id, model), row in sorted(channel_performance(seed, scale, as_of, faults).items()):
        rows.append(
            {
                "month": month.isoformat(),
                "channel": channel,
                "campaign_id": campaign_id,
                "attribution_model": model,
                "spend": str(row.spend),
                "impressions": row.impressions,
                "clicks": row.clicks,
                "attributed_mqls": str(row.attributed_mqls.quantize(_WEIGHT)),
                "attributed_opportunities": str(row.attributed_opportunities.quantize(_WEIGHT)),
                "attributed_customers": str(row.attributed_customers.quantize(_WEIGHT)),
                "attributed_revenue": str(row.attributed_revenue.quantize(_CENT)),
                "cac": None if row.cac is None else str(row.cac),
                "roas": None if row.roas is None else str(row.roas),
            }
        )
    return {
        "attribution_models": {name: [str(share) for share in shares] for name, shares in ATTRIBUTION_MODELS.items()},
        "channel_performance": rows,
    }
