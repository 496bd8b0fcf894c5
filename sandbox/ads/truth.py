"""Ground truth of ad spend, computed from the ad simulation (never from the APIs' JSON).

Definitions (see sandbox/README.md, "Ad platforms"):

- **Spend row**: one (platform, account, campaign, day) with the campaign's settled spend, in the account
  currency, for every day served at ``as_of`` (a day is served once it is over in the account's reporting
  time zone: the account's zone for Google Ads and Meta, UTC for LinkedIn). Spend is never restated.
- **Week**: Monday of the week containing the row's reporting date (the ``segments.date`` / ``date_start`` /
  ``dateRange`` day the platform reports), that date taken as a UTC calendar date.
- **Channel**: ``paid_search`` for Google Ads, ``paid_social`` for Meta and LinkedIn (``CHANNEL``).
- **Reporting currency** USD at the fixed rates ``FX_TO_USD`` (USD 1, EUR 1.08, GBP 1.27, the same as the
  HubSpot truth's ``FX_TO_REPORTING``): every row is converted exactly (Decimal), the converted amounts of a
  (week, channel) are summed, and the sum is rounded half-up to the cent once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sandbox.ads.story import ACCOUNTS, CHANNEL, LINKEDIN, AdStory, DayMetrics
from sandbox.story import DEFAULT_NOW, parse_instant

REPORTING_CURRENCY = "USD"
FX_TO_USD: dict[str, Decimal] = {"USD": Decimal("1"), "EUR": Decimal("1.08"), "GBP": Decimal("1.27")}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class SpendRow:
    platform: str
    account_id: str
    currency: str
    campaign_id: str
    day: date  # the platform's reporting date
    spend_minor: int  # cents of ``currency``

    @property
    def spend(self) -> Decimal:
        return Decimal(self.spend_minor).scaleb(-2)

    @property
    def spend_usd(self) -> Decimal:
        """Exact (unrounded) spend in the reporting currency."""
        return self.spend * FX_TO_USD[self.currency]


def to_usd(amount: Decimal | str, currency: str) -> Decimal:
    """Exact conversion of an account-currency amount to USD at the documented rate."""
    return Decimal(amount) * FX_TO_USD[currency]


def _as_datetime(as_of: datetime | str | None) -> datetime:
    if as_of is None:
        return DEFAULT_NOW
    return parse_instant(as_of) if isinstance(as_of, str) else as_of


def spend_rows(seed: int, as_of: datetime | str | None = None) -> list[SpendRow]:
    """Every served (platform, account, campaign, day) with its spend at ``as_of`` (default: the story's now)."""
    story = AdStory(seed, _as_datetime(as_of))
    rows = []
    for acct in ACCOUNTS:
        for campaign in story.campaigns(acct):
            for day in story.days(acct, campaign, campaign.start, story.last_served_day(acct)):
                metrics = story.campaign_day(acct, campaign, day)
                rows.append(SpendRow(acct.platform, acct.id, acct.currency, campaign.id, day, metrics.spend_minor))
    return rows


@dataclass(frozen=True)
class DeliveryRow:
    """One served day of a campaign *as the platform reports it*: Google and Meta campaigns, LinkedIn campaigns
    (the story's ad groups, since adAnalytics pivots by CAMPAIGN), with its id as the UTM ``utm_campaign``."""

    platform: str
    currency: str
    campaign_id: str
    day: date
    spend_minor: int
    impressions: int
    clicks: int

    @property
    def spend_usd(self) -> Decimal:
        return Decimal(self.spend_minor).scaleb(-2) * FX_TO_USD[self.currency]


def delivery_rows(seed: int, as_of: datetime | str | None = None) -> list[DeliveryRow]:
    """Every served day of every reported campaign at ``as_of``; its spend adds up to ``spend_rows``'."""
    story = AdStory(seed, _as_datetime(as_of))
    rows = []
    for acct in ACCOUNTS:
        for campaign in story.campaigns(acct):
            for day in story.days(acct, campaign, campaign.start, story.last_served_day(acct)):
                if acct.platform != LINKEDIN:
                    metrics = story.campaign_day(acct, campaign, day)
                    rows.append(_delivery(acct.platform, acct.currency, campaign.id, day, metrics))
                    continue
                for group in campaign.ad_groups:
                    metrics = story.group_day(acct, campaign, group, day)
                    rows.append(_delivery(acct.platform, acct.currency, group.id, day, metrics))
    return rows


def _delivery(platform: str, currency: str, campaign_id: str, day: date, metrics: DayMetrics) -> DeliveryRow:
    return DeliveryRow(platform, currency, campaign_id, day, metrics.spend_minor, metrics.impressions, metrics.clicks)


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def spend_by_week_and_channel(seed: int, as_of: datetime | str | None = None) -> dict[tuple[date, str], Decimal]:
    """USD spend per (Monday of the reporting date's week, channel), rounded half-up to the cent."""
    totals: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
    for row in spend_rows(seed, as_of):
        totals[(week_of(row.day), CHANNEL[row.platform])] += row.spend_usd
    return {key: value.quantize(CENT, rounding=ROUND_HALF_UP) for key, value in sorted(totals.items())}


def spend_by_month_and_campaign(seed: int, as_of: datetime | str | None = None) -> dict[tuple[date, str, str], Decimal]:
    """USD spend per (first day of the reporting date's month, channel, reported campaign id), rounded half-up to
    the cent once per key; the campaign as the platform reports spend by it (``DeliveryRow``)."""
    totals: dict[tuple[date, str, str], Decimal] = defaultdict(Decimal)
    for row in delivery_rows(seed, as_of):
        totals[(row.day.replace(day=1), CHANNEL[row.platform], row.campaign_id)] += row.spend_usd
    return {key: value.quantize(CENT, rounding=ROUND_HALF_UP) for key, value in sorted(totals.items())}


def truth_document(seed: int, as_of: datetime | str | None = None) -> dict[str, object]:
    """The ad part of ``python -m sandbox truth``: FX rates and spend rows by week and channel."""
    spend = spend_by_week_and_channel(seed, as_of)
    return {
        "ad_spend_reporting_currency": REPORTING_CURRENCY,
        "ad_fx_to_usd": {code: str(rate) for code, rate in FX_TO_USD.items()},
        "ad_spend_by_week_and_channel": [
            {"week": week.isoformat(), "channel": channel, "spend": str(amount)}
            for (week, channel), amount in spend.items()
        ],
    }
