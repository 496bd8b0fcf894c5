"""The ad side of the smarketing story: accounts, campaigns and their daily delivery on three platforms.

Everything is a pure function of ``(seed, platform, account, campaign/ad group, day)``, computed lazily and
cached; the view at a given ``now`` only decides which days exist yet and how far conversions have matured.

The world (the ids and names are fixed, so contacts can carry stable UTM values; budgets, flight dates and
daily numbers come from the seed):

- **Google Ads** (channel ``paid_search``): customers ``1234567890`` (USD, America/New_York) and
  ``2345678901`` (EUR, Europe/Berlin); campaigns with ad groups.
- **Meta** (``paid_social``): ad accounts ``act_101000000000001`` (USD, America/Los_Angeles),
  ``act_101000000000002`` (EUR, Europe/Amsterdam) and ``act_101000000000003`` (GBP, Europe/London);
  campaigns with ad sets.
- **LinkedIn** (``paid_social``): sponsored accounts ``510000001`` (USD) and ``510000002`` (EUR), reported in
  UTC whatever the account; "campaigns" here are LinkedIn *campaign groups* (what the other platforms call a
  campaign) and the "ad groups" are LinkedIn *campaigns* (``pivot=CAMPAIGN`` in adAnalytics).

A day ``D`` is the account's local calendar day (UTC for LinkedIn). It is served once it is over in the
account's time zone (``D + 1`` has begun at ``now``), and only within the campaign's flight
(``start <= D <= end``; ``end`` None = still running) and from the story epoch on. Spend, impressions and
clicks never change once served; **conversions are restated**: for a day ``age`` whole days old
(``age = local_today(now) - D - 1``) inside the platform's window (``RESTATEMENT_DAYS``) only a growing share
of the final number is reported; from ``age >= window`` on the final number is served for good.

Money is held in minor units (cents) of the account currency, so every platform's rendering (Google micros,
Meta and LinkedIn decimal strings) is exact.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

from sandbox.story import DAY_MS, DEFAULT_NOW, EPOCH
from sandbox.streams import uniforms

EPOCH_DAY = EPOCH.date()
GOOGLE, META, LINKEDIN = "google_ads", "meta", "linkedin"
PLATFORMS = (GOOGLE, META, LINKEDIN)
CHANNEL = {GOOGLE: "paid_search", META: "paid_social", LINKEDIN: "paid_social"}
HS_ANALYTICS_SOURCE = {GOOGLE: "PAID_SEARCH", META: "PAID_SOCIAL", LINKEDIN: "PAID_SOCIAL"}
_PLATFORMS_OF_SOURCE = {
    source: tuple(p for p in PLATFORMS if HS_ANALYTICS_SOURCE[p] == source) for source in HS_ANALYTICS_SOURCE.values()
}
# Days after which a day's conversions stop changing (attribution windows).
RESTATEMENT_DAYS = {GOOGLE: 14, META: 7, LINKEDIN: 10}
UTM_SOURCE = {GOOGLE: "google", META: "facebook", LINKEDIN: "linkedin"}
UTM_MEDIUM = {GOOGLE: "cpc", META: "paid_social", LINKEDIN: "paid_social"}

# Monday..Sunday delivery intensity: B2B search dips at weekends, social less so.
WEEKDAY_FACTORS = {
    GOOGLE: (1.15, 1.2, 1.15, 1.1, 0.95, 0.55, 0.5),
    META: (1.0, 1.05, 1.05, 1.0, 0.95, 0.85, 0.85),
    LINKEDIN: (1.2, 1.25, 1.2, 1.1, 0.9, 0.35, 0.3),
}
# (cost per click, click-through rate, click -> conversion rate), in account currency units.
ECONOMICS = {GOOGLE: (3.2, 0.055, 0.07), META: (1.1, 0.012, 0.05), LINKEDIN: (5.5, 0.008, 0.12)}
CONVERSION_VALUE = 80.0  # Google's metrics.conversions_value per conversion, in account currency
# Planted ad faults (``--fault NAME=RATE``, like the contact faults of ``sandbox.story.FAULTS``):
# spend_without_currency: a share of daily rows comes without the currency the row otherwise carries (Google's
# ``customer.currencyCode``, Meta's ``account_currency``). LinkedIn's adAnalytics rows never carry a currency
# (it lives on the ad account), so its rows are left alone.
AD_FAULTS = ("spend_without_currency",)


@dataclass(frozen=True)
class Account:
    platform: str
    id: str  # Google customer id, Meta ad account id (without act_), LinkedIn sponsored account id
    name: str
    currency: str
    time_zone: str  # the account's zone; LinkedIn reports in UTC anyway

    @property
    def report_zone(self) -> ZoneInfo:
        return ZoneInfo("UTC" if self.platform == LINKEDIN else self.time_zone)


@dataclass(frozen=True)
class AdGroup:
    """Google ad group, Meta ad set or LinkedIn campaign."""

    id: str
    name: str
    campaign_id: str
    share: float  # share of the campaign's daily budget


@dataclass(frozen=True)
class Campaign:
    """Google campaign, Meta campaign or LinkedIn campaign group."""

    platform: str
    account_id: str
    id: str
    name: str
    start: date
    end: date | None  # last day of delivery (inclusive); None = still running
    daily_budget_minor: int  # cents of the account currency on an average weekday
    objective: str
    ad_groups: tuple[AdGroup, ...]

    @property
    def channel(self) -> str:
        return CHANNEL[self.platform]

    def runs_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class DayMetrics:
    spend_minor: int
    impressions: int
    clicks: int
    conversions: float  # as reported at the view's now (restated while young)
    final_conversions: float

    def __add__(self, other: DayMetrics) -> DayMetrics:
        return DayMetrics(
            self.spend_minor + other.spend_minor,
            self.impressions + other.impressions,
            self.clicks + other.clicks,
            round(self.conversions + other.conversions, 2),
            round(self.final_conversions + other.final_conversions, 2),
        )


ZERO = DayMetrics(0, 0, 0, 0.0, 0.0)

ACCOUNTS: tuple[Account, ...] = (
    Account(GOOGLE, "1234567890", "Acme Search US", "USD", "America/New_York"),
    Account(GOOGLE, "2345678901", "Acme Search DACH", "EUR", "Europe/Berlin"),
    Account(META, "101000000000001", "Acme Social US", "USD", "America/Los_Angeles"),
    Account(META, "101000000000002", "Acme Social EU", "EUR", "Europe/Amsterdam"),
    Account(META, "101000000000003", "Acme Social UK", "GBP", "Europe/London"),
    Account(LINKEDIN, "510000001", "Acme LinkedIn US", "USD", "America/Chicago"),
    Account(LINKEDIN, "510000002", "Acme LinkedIn EU", "EUR", "Europe/Paris"),
)

_THEMES = {
    GOOGLE: ("Brand", "Generic - Marketing Analytics", "Competitor Conquesting", "Generic - Revenue Reporting"),
    META: ("Prospecting - Lookalike", "Retargeting - Site Visitors", "Lead Ads - Benchmark Report", "Webinar Promo"),
    LINKEDIN: ("ABM - Enterprise", "Lead Gen Forms - Demo", "Thought Leadership"),
}
_GROUP_NAMES = {
    GOOGLE: ("Exact", "Phrase", "Broad"),
    META: ("Broad 25-54", "Interests - SaaS"),
    LINKEDIN: ("Job Titles - Marketing", "Job Titles - Sales Ops"),
}
_OBJECTIVES = {GOOGLE: "SEARCH", META: "OUTCOME_LEADS", LINKEDIN: "LEAD_GENERATION"}
_BUDGET_RANGE = {GOOGLE: (150.0, 700.0), META: (80.0, 400.0), LINKEDIN: (120.0, 500.0)}
# Id bases per platform: (campaign, ad group); campaign k of account a gets base + 1000 * a + k.
_ID_BASES = {
    GOOGLE: (21_000_000_000, 150_000_000_000),
    META: (120_210_000_000_000_000, 120_211_000_000_000_000),
    LINKEDIN: (610_000_000, 710_000_000),
}


def accounts(platform: str | None = None) -> tuple[Account, ...]:
    return tuple(account for account in ACCOUNTS if platform is None or account.platform == platform)


def account(platform: str, account_id: str) -> Account | None:
    return next((a for a in ACCOUNTS if a.platform == platform and a.id == account_id), None)


@lru_cache(maxsize=64)
def campaigns(seed: int, platform: str, account_id: str) -> tuple[Campaign, ...]:
    """The account's campaigns (the first one is always on from the epoch), ordered by id."""
    index = next(i for i, a in enumerate(accounts(platform)) if a.id == account_id)
    campaign_base, group_base = _ID_BASES[platform]
    low, high = _BUDGET_RANGE[platform]
    result = []
    for k, theme in enumerate(_THEMES[platform]):
        rng = random.Random(f"ads-campaign:{seed}:{platform}:{account_id}:{k}")  # noqa: S311 - simulation
        if k == 0:
            start, end = EPOCH_DAY, None
        else:
            start = EPOCH_DAY + timedelta(days=rng.randrange(0, 45))
            end = start + timedelta(days=rng.randrange(18, 50)) if rng.random() < 0.45 else None
        budget = round(rng.uniform(low, high) * 100)
        campaign_id = str(campaign_base + 1000 * (index + 1) + k)
        weights = [rng.uniform(0.5, 1.5) for _ in _GROUP_NAMES[platform]]
        groups = tuple(
            AdGroup(
                str(group_base + 10_000 * (index + 1) + 10 * k + g), f"{theme} | {name}", campaign_id, w / sum(weights)
            )
            for g, (name, w) in enumerate(zip(_GROUP_NAMES[platform], weights, strict=True))
        )
        market = account(platform, account_id).name.rsplit(" ", 1)[-1]  # type: ignore[union-attr]
        result.append(
            Campaign(
                platform,
                account_id,
                campaign_id,
                f"{theme} - {market}",
                start,
                end,
                budget,
                _OBJECTIVES[platform],
                groups,
            )
        )
    return tuple(result)


def all_campaigns(seed: int) -> tuple[Campaign, ...]:
    return tuple(c for a in ACCOUNTS for c in campaigns(seed, a.platform, a.id))


def find_campaign(seed: int, platform: str, campaign_id: str) -> Campaign | None:
    return next((c for c in all_campaigns(seed) if c.platform == platform and c.id == campaign_id), None)


# --- daily delivery ------------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _final_day(seed: int, platform: str, account_id: str, group: AdGroup, budget_minor: int, day: date) -> DayMetrics:
    """The settled numbers of one ad group on one local day; random only in (seed, account, group, day)."""
    rng = random.Random(f"ads-day:{seed}:{platform}:{account_id}:{group.id}:{day.isoformat()}")  # noqa: S311 - simulation
    cpc, ctr, cvr = ECONOMICS[platform]
    weekday = WEEKDAY_FACTORS[platform][day.weekday()]
    spend = max(1, round(budget_minor * group.share * weekday * rng.lognormvariate(0.0, 0.18)))
    clicks = max(1, round(spend / 100 / (cpc * rng.lognormvariate(0.0, 0.15))))
    impressions = max(clicks, round(clicks / (ctr * rng.lognormvariate(0.0, 0.2))))
    expected = clicks * cvr * rng.lognormvariate(0.0, 0.3)
    # Google's data-driven attribution gives fractional conversions; Meta and LinkedIn count whole ones.
    conversions = round(expected, 2) if platform == GOOGLE else float(round(expected))
    return DayMetrics(spend, impressions, clicks, conversions, conversions)


def matured_share(platform: str, age: int) -> float:
    """Share of a day's final conversions reported ``age`` whole days after the day ended (1.0 once settled)."""
    window = RESTATEMENT_DAYS[platform]
    if age >= window:
        return 1.0
    return 1.0 - 0.5 * ((window - max(age, 0)) / window) ** 1.5


def reported_conversions(platform: str, final: float, age: int) -> float:
    share = matured_share(platform, age)
    if share >= 1.0:
        return final
    if platform == GOOGLE:
        return round(final * share, 2)
    return float(math.floor(final * share))


class AdStory:
    """The ad world seen at ``now`` (an aware datetime), with planted ``faults`` ({name in AD_FAULTS: rate})."""

    def __init__(self, seed: int, now: datetime = DEFAULT_NOW, faults: Mapping[str, float] | None = None) -> None:
        self.seed = seed
        self.now = now
        self.faults = dict(faults or {})
        unknown = set(self.faults) - set(AD_FAULTS)
        if unknown:
            raise ValueError(f"unknown ad fault(s) {sorted(unknown)}; known: {', '.join(AD_FAULTS)}")

    def drops_currency(self, acct: Account, entity_id: str, day: date) -> bool:
        """Whether the daily row of ``entity_id`` (account, campaign or ad group) on ``day`` comes without its
        currency (the spend_without_currency fault).

        Each row draws from its own stream, so the fault moves no other draw (nor the truth), the same row is
        faulty in every answer, and raising the rate only adds rows to the faulty set.
        """
        rate = self.faults.get("spend_without_currency", 0.0)
        if rate <= 0:
            return False
        key = f"ads-fault:spend_without_currency:{self.seed}:{acct.platform}:{acct.id}:{entity_id}:{day.isoformat()}"
        return random.Random(key).random() < rate  # noqa: S311 - simulation

    def local_today(self, acct: Account) -> date:
        return self.now.astimezone(acct.report_zone).date()

    def last_served_day(self, acct: Account) -> date:
        """The latest local day that is over at ``now``."""
        return self.local_today(acct) - timedelta(days=1)

    def campaigns(self, acct: Account) -> tuple[Campaign, ...]:
        return campaigns(self.seed, acct.platform, acct.id)

    def days(self, acct: Account, campaign: Campaign, since: date, until: date) -> list[date]:
        """The served days of ``campaign`` within ``since..until`` (inclusive), ascending."""
        first = max(since, campaign.start, EPOCH_DAY)
        last = min(until, self.last_served_day(acct), campaign.end or until)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def group_day(self, acct: Account, campaign: Campaign, group: AdGroup, day: date) -> DayMetrics:
        final = _final_day(self.seed, acct.platform, acct.id, group, campaign.daily_budget_minor, day)
        age = (self.local_today(acct) - day).days - 1
        reported = reported_conversions(acct.platform, final.final_conversions, age)
        return DayMetrics(final.spend_minor, final.impressions, final.clicks, reported, final.final_conversions)

    def campaign_day(self, acct: Account, campaign: Campaign, day: date) -> DayMetrics:
        total = ZERO
        for group in campaign.ad_groups:
            total = total + self.group_day(acct, campaign, group, day)
        return total

    def status(self, campaign: Campaign, acct: Account) -> str:
        """ENABLED while running at now, PAUSED after its end (Google's vocabulary; services map it)."""
        return "ENABLED" if campaign.end is None or campaign.end >= self.local_today(acct) else "PAUSED"


# --- closed loop: what a contact coming from a campaign carries ----------------------------------------


def utm_for(campaign: Campaign, ad_group: AdGroup | None = None) -> dict[str, str]:
    """The UTM values a visitor from ``campaign`` carries into the CRM (stable across seeds).

    ``utm_source`` google / facebook / linkedin, ``utm_medium`` cpc (Google) or paid_social, ``utm_campaign`` the
    id the platform reports spend by: the Google or Meta campaign, and on LinkedIn the *campaign* (``ad_group``
    here, required), since adAnalytics with ``pivot=CAMPAIGN`` reports LinkedIn campaigns, not campaign groups.
    ``utm_content`` is the level next to it when known: the ad group / ad set, or LinkedIn's campaign group.
    HubSpot's ``hs_analytics_source`` for such a contact is ``HS_ANALYTICS_SOURCE[campaign.platform]``.
    """
    values = {"utm_source": UTM_SOURCE[campaign.platform], "utm_medium": UTM_MEDIUM[campaign.platform]}
    if campaign.platform == LINKEDIN:
        if ad_group is None:
            raise ValueError("a LinkedIn touch names the LinkedIn campaign (the story's ad group) it came from")
        values.update(utm_campaign=ad_group.id, utm_content=campaign.id)
        return values
    values["utm_campaign"] = campaign.id
    if ad_group is not None:
        values["utm_content"] = ad_group.id
    return values


@lru_cache(maxsize=4096)
def _running_campaigns(
    seed: int, platforms: tuple[str, ...], unix_day: int
) -> tuple[tuple[Campaign, ...], tuple[int, ...]]:
    """Campaigns of ``platforms`` delivering on UTC day ``unix_day`` (days since 1970-01-01; the first campaign of
    every account always runs), and their budgets summed up (the draw's cumulative weights)."""
    day = date(1970, 1, 1) + timedelta(days=unix_day)
    running = tuple(c for c in all_campaigns(seed) if c.platform in platforms and c.runs_on(max(day, EPOCH_DAY)))
    running = running or tuple(c for c in all_campaigns(seed) if c.platform in platforms and c.start == EPOCH_DAY)
    return running, tuple(itertools.accumulate(c.daily_budget_minor for c in running))


def campaign_for_contact(
    seed: int, source: str, ms: int, key: int, rng: random.Random | None = None
) -> tuple[Campaign, AdGroup] | None:
    """The campaign (and ad group) a contact with original source ``source`` created at ``ms`` came from.

    ``source`` is HubSpot's ``hs_analytics_source``: PAID_SEARCH picks a Google Ads campaign, PAID_SOCIAL a
    Meta or LinkedIn one; anything else gives None. Among the campaigns running on the UTC day of ``ms``
    (the first campaign of every account always runs) one is drawn, weighted by budget, from
    ``(seed, key)`` alone (``key``: e.g. the contact index; two keyed draws, ``sandbox.streams``), so the answer
    is stable and cheap. A caller with a random stream of its own (a contact's later visits,
    ``sandbox.touches``) passes ``rng`` to draw from it (then it draws as ``rng.choices`` would).
    """
    platforms = _PLATFORMS_OF_SOURCE.get(source)
    if platforms is None:
        return None
    running, budgets = _running_campaigns(seed, platforms, ms // DAY_MS)
    campaign_draw, group_draw = (rng.random(), rng.random()) if rng is not None else uniforms(2, "ads-utm", seed, key)
    chosen = _weighted_pick(running, budgets, campaign_draw)
    group = _weighted_pick(chosen.ad_groups, _group_shares(seed, chosen.platform, chosen.id), group_draw)
    return chosen, group


Picked = TypeVar("Picked")


def _weighted_pick(options: Sequence[Picked], cumulative: Sequence[float], draw: float) -> Picked:
    """The option ``random.choices(options, cum_weights=cumulative)`` picks when its uniform draw is ``draw``."""
    return options[bisect.bisect(cumulative, draw * cumulative[-1], 0, len(options) - 1)]


@lru_cache(maxsize=256)
def _group_shares(seed: int, platform: str, campaign_id: str) -> tuple[float, ...]:
    """The campaign's ad group shares summed up (cached by id: hashing the dataclass costs more than the draw)."""
    campaign = find_campaign(seed, platform, campaign_id)
    assert campaign is not None
    return tuple(itertools.accumulate(group.share for group in campaign.ad_groups))
