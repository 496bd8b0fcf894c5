"""The ad story: restated conversions, byte-identical answers per seed, spend truth, and the UTM mapping."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from sandbox.ads.story import (
    CHANNEL,
    GOOGLE,
    HS_ANALYTICS_SOURCE,
    LINKEDIN,
    META,
    RESTATEMENT_DAYS,
    AdStory,
    accounts,
    all_campaigns,
    campaign_for_contact,
    matured_share,
    utm_for,
)
from sandbox.ads.truth import FX_TO_USD, spend_by_week_and_channel
from sandbox.launcher import REPO_ROOT
from sandbox.story import EPOCH_MS, parse_instant
from tests.sandbox.hubspot_client import TOKEN, Client

GOOGLE_HEADERS = {"Authorization": f"Bearer {TOKEN}", "developer-token": TOKEN}
LINKEDIN_HEADERS = {
    "Authorization": f"Bearer {TOKEN}",
    "LinkedIn-Version": "202502",
    "X-Restli-Protocol-Version": "2.0.0",
}
SAME_HOST = {"Host": "sandbox.test"}  # Meta's next links carry the Host header
EVERYTHING = ("2026-01-01", "2026-04-30")


@pytest.fixture(scope="module")
def ads(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "7", "--scale", "20")


def _linkedin_range(since: str, until: str) -> str:
    a, b = date.fromisoformat(since), date.fromisoformat(until)
    return f"(start:(year:{a.year},month:{a.month},day:{a.day}),end:(year:{b.year},month:{b.month},day:{b.day}))"


def google_rows(client: Client, customer: str, since: str, until: str) -> list[dict]:
    query = (
        "SELECT campaign.id, segments.date, metrics.cost_micros, metrics.clicks, metrics.conversions FROM campaign "
        f"WHERE segments.date BETWEEN '{since}' AND '{until}'"
    )
    url = f"{client.url}/v21/customers/{customer}/googleAds:searchStream"
    response = client.session.post(url, json={"query": query}, headers=GOOGLE_HEADERS, timeout=10)
    assert response.status_code == 200
    return [row for batch in response.json() for row in batch.get("results", [])]


def meta_rows(client: Client, account_id: str, since: str, until: str) -> list[dict]:
    params = {
        "access_token": TOKEN,
        "level": "campaign",
        "fields": "campaign_id,spend,clicks,actions",
        "time_range": json.dumps({"since": since, "until": until}),
        "time_increment": "1",
        "limit": "5000",
    }
    response = client.session.get(f"{client.url}/v21.0/act_{account_id}/insights", params=params, timeout=10)
    assert response.status_code == 200 and "next" not in response.json()["paging"]
    return response.json()["data"]


def linkedin_rows(client: Client, account_id: str, since: str, until: str, raw: bool = False):
    query = (
        f"q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange={_linkedin_range(since, until)}"
        f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A{account_id})"
        "&fields=dateRange,pivotValues,clicks,costInLocalCurrency,externalWebsiteConversions"
    )
    response = client.session.get(f"{client.url}/rest/adAnalytics?{query}", headers=LINKEDIN_HEADERS, timeout=10)
    assert response.status_code == 200
    return response if raw else response.json()["elements"]


def leads(row: dict) -> int:
    return sum(int(a["value"]) for a in row.get("actions", []) if a["action_type"] == "lead")


def conversions_of_day(client: Client, platform: str, day: str) -> list[float]:
    if platform == GOOGLE:
        return [row["metrics"]["conversions"] for a in accounts(GOOGLE) for row in google_rows(client, a.id, day, day)]
    if platform == META:
        return [leads(row) for a in accounts(META) for row in meta_rows(client, a.id, day, day)]
    return [e["externalWebsiteConversions"] for a in accounts(LINKEDIN) for e in linkedin_rows(client, a.id, day, day)]


# --- restatement -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "young_day", "early_now", "settled_day"),
    [
        (GOOGLE, "2026-03-20", "2026-03-23T12:00:00Z", "2026-03-01"),
        (META, "2026-03-23", "2026-03-25T12:00:00Z", "2026-03-10"),
        (LINKEDIN, "2026-03-24", "2026-03-26T12:00:00Z", "2026-03-05"),
    ],
)
def test_recent_conversions_are_restated_and_old_ones_are_not(
    ads: Client, start_sandbox: Callable[..., Client], platform: str, young_day: str, early_now: str, settled_day: str
) -> None:
    earlier = start_sandbox("--seed", "7", "--scale", "20", "--now", early_now)
    # Inside the window at the early now, settled at the default now (2026-03-30): more conversions later.
    early, late = conversions_of_day(earlier, platform, young_day), conversions_of_day(ads, platform, young_day)
    assert len(early) == len(late) > 0
    assert sum(early) < sum(late)
    assert all(e <= l for e, l in zip(early, late, strict=True))  # noqa: E741
    # Outside the window at both nows: identical.
    assert conversions_of_day(earlier, platform, settled_day) == conversions_of_day(ads, platform, settled_day)
    assert sum(conversions_of_day(ads, platform, settled_day)) > 0


def test_restatement_stops_exactly_at_the_window() -> None:
    for platform, window in RESTATEMENT_DAYS.items():
        shares = [matured_share(platform, age) for age in range(window + 3)]
        assert shares == sorted(shares) and len(set(shares[:window])) == window
        assert shares[window - 1] < 1.0 == shares[window] == shares[-1]
    story_a = AdStory(7, parse_instant("2026-03-30T00:00:00Z"))
    story_b = AdStory(7, parse_instant("2026-04-20T00:00:00Z"))
    acct = accounts(GOOGLE)[0]
    campaign = story_a.campaigns(acct)[0]
    old = date(2026, 3, 10)  # 19 days old at the first now: beyond Google's 14 days
    assert story_a.campaign_day(acct, campaign, old) == story_b.campaign_day(acct, campaign, old)


# --- determinism -------------------------------------------------------------------------------------------


def raw_bodies(client: Client) -> list[bytes]:
    since, until = EVERYTHING
    query = {"query": f"SELECT ad_group.id, segments.date, metrics.cost_micros, metrics.conversions FROM ad_group "
             f"WHERE segments.date BETWEEN '{since}' AND '{until}'"}  # fmt: skip
    url = f"{client.url}/v21/customers/2345678901/googleAds:searchStream"
    bodies = [client.session.post(url, json=query, headers=GOOGLE_HEADERS, timeout=10).content]
    params = {"access_token": TOKEN, "level": "adset", "fields": "adset_id,spend,actions", "time_increment": "1",
              "time_range": json.dumps({"since": since, "until": until}), "limit": "100"}  # fmt: skip
    meta = client.session.get(f"{client.url}/v21.0/act_101000000000003/insights", params=params, headers=SAME_HOST)
    bodies.append(meta.content)
    bodies.append(linkedin_rows(client, "510000002", since, until, raw=True).content)
    return bodies


def test_same_seed_byte_identical_other_seed_different(ads: Client, start_sandbox: Callable[..., Client]) -> None:
    twin = start_sandbox("--seed", "7", "--scale", "20")
    ours = raw_bodies(ads)
    assert ours == raw_bodies(twin)
    assert all(len(body) > 1000 for body in ours)
    other = raw_bodies(start_sandbox("--seed", "8", "--scale", "20"))
    assert all(a != b for a, b in zip(ours, other, strict=True))


# --- truth ---------------------------------------------------------------------------------------------------


def served_spend_by_week_and_channel(client: Client) -> dict[tuple[date, str], Decimal]:
    """What a careful reader computes: every served day, converted with the documented FX, by week and channel."""
    since, until = EVERYTHING
    totals: dict[tuple[date, str], Decimal] = defaultdict(Decimal)

    def add(day: str, platform: str, amount: Decimal, currency: str) -> None:
        parsed = date.fromisoformat(day)
        totals[(parsed - timedelta(days=parsed.weekday()), CHANNEL[platform])] += amount * FX_TO_USD[currency]

    listed = client.session.get(f"{client.url}/v21/customers:listAccessibleCustomers", headers=GOOGLE_HEADERS).json()
    for name in listed["resourceNames"]:
        customer = name.split("/")[1]
        url = f"{client.url}/v21/customers/{customer}/googleAds:searchStream"
        query = {"query": "SELECT customer.currency_code FROM customer"}
        currency = client.session.post(url, json=query, headers=GOOGLE_HEADERS).json()[0]["results"][0]["customer"]
        for row in google_rows(client, customer, since, until):
            add(
                row["segments"]["date"],
                GOOGLE,
                Decimal(row["metrics"]["costMicros"]) / 1_000_000,
                currency["currencyCode"],
            )
    meta_accounts = client.session.get(
        f"{client.url}/v21.0/me/adaccounts", params={"access_token": TOKEN, "fields": "account_id,currency"}
    ).json()["data"]
    for acct in meta_accounts:
        for row in meta_rows(client, acct["account_id"], since, until):
            add(row["date_start"], META, Decimal(row["spend"]), acct["currency"])
    linkedin_accounts = client.session.get(f"{client.url}/rest/adAccounts?q=search", headers=LINKEDIN_HEADERS).json()
    for acct in linkedin_accounts["elements"]:
        for element in linkedin_rows(client, str(acct["id"]), since, until):
            day = date(**element["dateRange"]["start"]).isoformat()
            add(day, LINKEDIN, Decimal(element["costInLocalCurrency"]), acct["currency"])
    return {key: value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for key, value in totals.items()}


@pytest.mark.parametrize("now", [None, "2026-02-11T09:30:00Z"])
def test_spend_truth_equals_the_served_spend(
    ads: Client, start_sandbox: Callable[..., Client], now: str | None
) -> None:
    client = ads if now is None else start_sandbox("--seed", "7", "--scale", "20", "--now", now)
    truth = spend_by_week_and_channel(7, now)
    assert truth == served_spend_by_week_and_channel(client)
    assert {channel for _, channel in truth} == {"paid_search", "paid_social"}
    assert all(week.weekday() == 0 for week, _ in truth)


def test_truth_command_includes_ad_spend() -> None:
    output = subprocess.run(
        [sys.executable, "-m", "sandbox", "truth", "--seed", "7", "--scale", "20", "--as-of", "2026-02-01T00:00:00Z"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    document = json.loads(output)
    assert document["ad_fx_to_usd"] == {"USD": "1", "EUR": "1.08", "GBP": "1.27"}
    rows = document["ad_spend_by_week_and_channel"]
    expected = spend_by_week_and_channel(7, "2026-02-01T00:00:00Z")
    assert {(date.fromisoformat(r["week"]), r["channel"]): Decimal(r["spend"]) for r in rows} == expected


def test_fx_rates_agree_with_the_hubspot_truth() -> None:
    import sandbox.truth

    hubspot_rates = getattr(sandbox.truth, "FX_TO_REPORTING", None)
    if hubspot_rates is None:
        pytest.skip("sandbox.truth has no FX table")
    for code, rate in FX_TO_USD.items():
        assert Decimal(str(hubspot_rates[code])) == rate


# --- UTM mapping -----------------------------------------------------------------------------------------


def test_utm_values_point_at_served_campaign_ids(ads: Client) -> None:
    served = {row["campaign"]["id"] for a in accounts(GOOGLE) for row in google_rows(ads, a.id, *EVERYTHING)}
    served |= {row["campaign_id"] for a in accounts(META) for row in meta_rows(ads, a.id, *EVERYTHING)}
    served |= {  # LinkedIn reports spend by campaign (the story's ad group), as urn:li:sponsoredCampaign:<id>
        element["pivotValues"][0].rsplit(":", 1)[1]
        for a in accounts(LINKEDIN)
        for element in linkedin_rows(ads, a.id, *EVERYTHING)
    }
    for campaign in all_campaigns(7):
        group = campaign.ad_groups[0]
        utm = utm_for(campaign, group)
        assert utm["utm_source"] in ("google", "facebook", "linkedin")
        assert utm["utm_campaign"] in served
        if campaign.platform == LINKEDIN:
            assert (utm["utm_campaign"], utm["utm_content"]) == (group.id, campaign.id)
        else:
            assert (utm["utm_campaign"], utm["utm_content"]) == (campaign.id, group.id)
    assert [c.id for c in all_campaigns(7)] == [c.id for c in all_campaigns(8)]  # ids are stable across seeds
    with pytest.raises(ValueError, match="LinkedIn"):
        utm_for(next(c for c in all_campaigns(7) if c.platform == LINKEDIN))


def test_campaign_for_contact_is_stable_and_running() -> None:
    moment = EPOCH_MS + 40 * 86_400_000
    for source in ("PAID_SEARCH", "PAID_SOCIAL"):
        picked = [campaign_for_contact(7, source, moment, key) for key in range(50)]
        assert picked == [campaign_for_contact(7, source, moment, key) for key in range(50)]
        for campaign, group in picked:  # type: ignore[misc]
            assert HS_ANALYTICS_SOURCE[campaign.platform] == source
            assert campaign.runs_on(date(2026, 2, 14)) and group in campaign.ad_groups
    assert campaign_for_contact(7, "ORGANIC_SEARCH", moment, 1) is None


def test_a_caller_with_its_own_random_stream_draws_a_running_campaign_from_it() -> None:
    moment = EPOCH_MS + 40 * 86_400_000
    streams = [random.Random(f"later-visit:{key}") for key in range(40)]
    later = [campaign_for_contact(7, "PAID_SOCIAL", moment, key, rng=stream) for key, stream in enumerate(streams)]
    again = [
        campaign_for_contact(7, "PAID_SOCIAL", moment, key, rng=random.Random(f"later-visit:{key}"))
        for key in range(40)
    ]
    assert later == again
    assert later != [campaign_for_contact(7, "PAID_SOCIAL", moment, key) for key in range(40)]
    for campaign, group in later:  # type: ignore[misc]
        assert campaign.runs_on(date(2026, 2, 14)) and group in campaign.ad_groups
