"""Every ad stream against the sandbox: loaded spend by week and channel equals the ground truth.

One sandbox (seed 7, LinkedIn answers cut at 25 elements so that range splitting is exercised, LinkedIn
searches paged 3 at a time so that cursor paging is), one full read of every stream of the three sources.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sandbox.ads.truth import spend_by_week_and_channel
from sandbox.launcher import running_sandbox
from tests.extractors.ads_sandbox import (
    SEED,
    combined,
    point_settings_at,
    recorded_client,
    run_all,
    sandbox_arguments,
    spend_by_week,
)

LINKEDIN_MAX_ELEMENTS = 25
LINKEDIN_SEARCH_PAGE_SIZE = 3


@pytest.fixture(scope="module")
def loaded(warehouse_url: str) -> Iterator[dict[str, Any]]:
    with (
        running_sandbox(sandbox_arguments("--linkedin-max-elements", str(LINKEDIN_MAX_ELEMENTS))) as sandbox,
        pytest.MonkeyPatch.context() as patch,
    ):
        point_settings_at(patch, sandbox.url)
        patch.setenv("LINKEDIN_ADS_MAX_ELEMENTS", str(LINKEDIN_MAX_ELEMENTS))
        patch.setattr("extractors.linkedin_ads.client.PAGE_SIZE", LINKEDIN_SEARCH_PAGE_SIZE)
        result: dict[str, Any] = {}
        for source in ("google_ads", "meta_ads", "linkedin_ads"):
            client, recorded = recorded_client(source, sandbox.url)
            result[source] = {"reports": run_all(source, client, warehouse_url), "recorded": recorded}
        yield result


def test_every_stream_loads_rows_in_one_succeeded_batch(loaded: dict[str, Any], warehouse_url: str) -> None:
    tables = {report.table: report for source in loaded.values() for report in source["reports"]}
    assert set(tables) == {
        "raw.google_ads__accounts",
        "raw.google_ads__campaign_daily",
        "raw.google_ads__ad_group_daily",
        "raw.meta_ads__accounts",
        "raw.meta_ads__campaign_daily",
        "raw.meta_ads__adset_daily",
        "raw.linkedin_ads__accounts",
        "raw.linkedin_ads__campaigns",
        "raw.linkedin_ads__campaign_daily",
    }
    assert all(report.records > 0 and report.rejected == 0 and report.mode == "full" for report in tables.values())
    with psycopg.connect(warehouse_url) as conn:
        statuses = conn.execute("select distinct status from raw._batches").fetchall()
    assert statuses == [("succeeded",)]


def test_campaign_level_spend_by_week_and_channel_equals_the_truth(loaded: dict[str, Any], warehouse_url: str) -> None:
    loaded_spend = combined(
        spend_by_week(warehouse_url, "google_ads", "campaign_daily"),
        spend_by_week(warehouse_url, "meta_ads", "campaign_daily"),
        spend_by_week(warehouse_url, "linkedin_ads", "campaign_daily"),
    )
    assert loaded_spend == spend_by_week_and_channel(SEED)


def test_ad_group_and_ad_set_level_spend_adds_up_to_the_same_truth(loaded: dict[str, Any], warehouse_url: str) -> None:
    truth = spend_by_week_and_channel(SEED)
    google = combined(spend_by_week(warehouse_url, "google_ads", "ad_group_daily"))
    assert google == {key: value for key, value in truth.items() if key[1] == "paid_search"}
    social = combined(
        spend_by_week(warehouse_url, "meta_ads", "adset_daily"),
        spend_by_week(warehouse_url, "linkedin_ads", "campaign_daily"),
    )
    assert social == {key: value for key, value in truth.items() if key[1] == "paid_social"}


def test_accounts_tables_carry_each_accounts_currency_and_time_zone(loaded: dict[str, Any], warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        google = conn.execute(
            "select record_id, record->'customer'->>'currencyCode', record->'customer'->>'timeZone' "
            "from raw.google_ads__accounts order by 1"
        ).fetchall()
        meta = conn.execute(
            "select record_id, record->>'currency', record->>'timezone_name' from raw.meta_ads__accounts order by 1"
        ).fetchall()
        linkedin = conn.execute(
            "select record_id, record->>'currency' from raw.linkedin_ads__accounts order by 1"
        ).fetchall()
    assert google == [("1234567890", "USD", "America/New_York"), ("2345678901", "EUR", "Europe/Berlin")]
    assert meta == [
        ("101000000000001", "USD", "America/Los_Angeles"),
        ("101000000000002", "EUR", "Europe/Amsterdam"),
        ("101000000000003", "GBP", "Europe/London"),
    ]
    assert linkedin == [("510000001", "USD"), ("510000002", "EUR")]


def test_linkedin_campaigns_are_every_page_of_each_accounts_search_and_name_every_analytics_campaign(
    loaded: dict[str, Any], warehouse_url: str
) -> None:
    from sandbox.ads.story import LINKEDIN, AdStory, accounts

    story = AdStory(SEED)
    truth = {
        (acct.id, group.id, group.name)
        for acct in accounts(LINKEDIN)
        for campaign in story.campaigns(acct)
        for group in campaign.ad_groups
    }
    with psycopg.connect(warehouse_url) as conn:
        campaigns = conn.execute(
            "select record->>'account_id', record->>'id', record->>'name' from raw.linkedin_ads__campaigns"
        ).fetchall()
        reported = conn.execute(
            "select distinct replace(record->'pivotValues'->>0, 'urn:li:sponsoredCampaign:', '')"
            " from raw.linkedin_ads__campaign_daily"
        ).fetchall()
    assert set(campaigns) == truth and len(campaigns) == len(truth)
    assert len(truth) > 2 * LINKEDIN_SEARCH_PAGE_SIZE  # so the search really took several pages
    assert {campaign_id for (campaign_id,) in reported} <= {campaign_id for _, campaign_id, _ in truth}


@pytest.mark.parametrize(
    ("table", "pattern"),
    [
        ("google_ads__campaign_daily", r"\d{10}:\d+:2026-\d\d-\d\d"),
        ("google_ads__ad_group_daily", r"\d{10}:\d+:2026-\d\d-\d\d"),
        ("meta_ads__campaign_daily", r"\d{15}:\d+:2026-\d\d-\d\d"),
        ("meta_ads__adset_daily", r"\d{15}:\d+:2026-\d\d-\d\d"),
        ("linkedin_ads__campaign_daily", r"\d{9}:urn:li:sponsoredCampaign:\d+:2026-\d\d-\d\d"),
    ],
)
def test_record_ids_are_account_entity_and_day_unique_within_a_batch(
    loaded: dict[str, Any], warehouse_url: str, table: str, pattern: str
) -> None:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            f"select record_id, cursor_value, record ? 'account_id', is_deleted from raw.{table}"
        ).fetchall()
    assert len({record_id for record_id, *_ in rows}) == len(rows)
    for record_id, cursor_value, has_account, is_deleted in rows:
        assert re.fullmatch(pattern, record_id)
        assert record_id.endswith(cursor_value.astimezone(tz=None).strftime("%Y-%m-%d")) or record_id.endswith(
            cursor_value.isoformat()[:10]
        )
        assert has_account and not is_deleted


def test_linkedin_answers_at_the_element_limit_are_split_until_every_range_fits(loaded: dict[str, Any]) -> None:
    recorded = loaded["linkedin_ads"]["recorded"]
    analytics = [query for _, path, _, query in recorded.requests if path == "/rest/adAnalytics"]
    # Two accounts: one request each if nothing had been cut; far more after splitting.
    assert len(analytics) > 10
    assert all("accounts=List(urn%3Ali%3AsponsoredAccount%3A" in query for query in analytics)
    assert all("dateRange=(start:(year:" in query for query in analytics)


def test_linkedin_loaded_rows_are_what_an_uncut_answer_holds(loaded: dict[str, Any], warehouse_url: str) -> None:
    """Nothing lost: the rows loaded equal the sandbox's own count of served LinkedIn campaign days."""
    from sandbox.ads.story import LINKEDIN, AdStory, accounts

    story = AdStory(SEED)
    expected = sum(
        len(story.days(acct, campaign, campaign.start, story.last_served_day(acct))) * len(campaign.ad_groups)
        for acct in accounts(LINKEDIN)
        for campaign in story.campaigns(acct)
    )
    with psycopg.connect(warehouse_url) as conn:
        (count,) = conn.execute("select count(*) from raw.linkedin_ads__campaign_daily").fetchone()  # type: ignore[misc]
    assert count == expected


def test_meta_long_ranges_go_through_async_report_runs_polled_to_completion(loaded: dict[str, Any]) -> None:
    recorded = loaded["meta_ads"]["recorded"]
    started = [path for method, path, _, _ in recorded.requests if method == "POST"]
    assert started and all(re.fullmatch(r"/v21\.0/act_\d+/insights", path) for path in started)
    polls = [path for method, path, _, _ in recorded.requests if re.fullmatch(r"/v21\.0/\d+", path)]
    results = [path for path in recorded.paths("GET") if re.fullmatch(r"/v21\.0/\d+/insights", path)]
    run_ids = {path.rsplit("/", 1)[1] for path in polls}
    assert len(run_ids) == len(started)
    # The sandbox completes a run on its 4th poll; the reader reads results only after that.
    assert all(polls.count(f"/v21.0/{run_id}") == 4 for run_id in run_ids)
    assert {path.split("/")[2] for path in results} == run_ids
    assert recorded.sleeps and all(0 < wait <= 30 for wait in recorded.sleeps)


def test_meta_requests_carry_a_daily_time_range_and_no_token_in_the_url(loaded: dict[str, Any]) -> None:
    recorded = loaded["meta_ads"]["recorded"]
    for method, _, _, query in recorded.requests:
        assert "access_token" not in query
        if method == "POST":
            assert "time_increment=1" in query
            assert json.loads(_param(query, "time_range")).keys() == {"since", "until"}


def _param(query: str, name: str) -> str:
    from urllib.parse import parse_qs

    return parse_qs(query)[name][0]
