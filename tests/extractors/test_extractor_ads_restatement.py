"""Two nights of every ad stream on one endpoint: the second re-reads the trailing window, restated
conversions replace the first night's values after staging-style dedup (newest batch per record id)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from extractors.runner import StreamReport
from sandbox.ads.truth import spend_by_week_and_channel
from sandbox.launcher import running_sandbox
from tests.extractors.ads_sandbox import (
    SEED,
    combined,
    free_port,
    latest_rows,
    point_settings_at,
    recorded_client,
    run_all,
    sandbox_arguments,
    spend_by_week,
)

FIRST_NIGHT = "2026-03-15T00:00:00Z"
SOURCES = ("google_ads", "meta_ads", "linkedin_ads")
DAILY = {"google_ads": "campaign_daily", "meta_ads": "campaign_daily", "linkedin_ads": "campaign_daily"}
WINDOW = {"google_ads": 14, "meta_ads": 7, "linkedin_ads": 10}


def days_by_account(warehouse_url: str, table: str, batch_id: int) -> dict[str, tuple[datetime.date, datetime.date]]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            f"select record->>'account_id', min(split_part(record_id, ':', -1)), max(split_part(record_id, ':', -1)) "
            f"from raw.{table} where batch_id = %s group by 1",
            (batch_id,),
        ).fetchall()
    return {account: (datetime.date.fromisoformat(a), datetime.date.fromisoformat(b)) for account, a, b in rows}


def report_of(reports: list[StreamReport], stream: str) -> StreamReport:
    return next(report for report in reports if report.stream == stream)


@pytest.fixture(scope="module")
def nights(warehouse_url: str) -> Iterator[dict[str, Any]]:
    arguments = [*sandbox_arguments(), "--port", str(free_port())]
    result: dict[str, Any] = {source: {} for source in SOURCES}
    with pytest.MonkeyPatch.context() as patch:
        with running_sandbox([*arguments, "--now", FIRST_NIGHT]) as sandbox:
            point_settings_at(patch, sandbox.url)
            for source in SOURCES:
                result[source]["first"] = run_all(source, recorded_client(source, sandbox.url)[0], warehouse_url)
        with running_sandbox(arguments) as sandbox:
            for source in SOURCES:
                result[source]["second"] = run_all(source, recorded_client(source, sandbox.url)[0], warehouse_url)
            for source in SOURCES:
                result[source]["latest"] = dict(latest_rows(warehouse_url, f"{source}__{DAILY[source]}"))
            result["spend"] = combined(*(spend_by_week(warehouse_url, source, DAILY[source]) for source in SOURCES))
            for source in SOURCES:
                result[source]["refresh"] = run_all(
                    source, recorded_client(source, sandbox.url)[0], warehouse_url, full_refresh=True
                )
            result["url"] = sandbox.url
            yield result


@pytest.mark.parametrize("source", SOURCES)
def test_the_second_night_starts_each_account_at_its_last_loaded_day_minus_the_trailing_window(
    nights: dict[str, Any], warehouse_url: str, source: str
) -> None:
    table = f"{source}__{DAILY[source]}"
    first = days_by_account(warehouse_url, table, report_of(nights[source]["first"], DAILY[source]).batch_id)
    second_report = report_of(nights[source]["second"], DAILY[source])
    second = days_by_account(warehouse_url, table, second_report.batch_id)
    assert second_report.mode == "incremental"
    assert set(second) == set(first)
    for account, (_, last_loaded) in first.items():
        assert second[account][0] == last_loaded - datetime.timedelta(days=WINDOW[source])
        assert second[account][1] > last_loaded


@pytest.mark.parametrize("source", SOURCES)
def test_staging_dedup_gives_the_restated_values_of_the_later_night(
    nights: dict[str, Any], warehouse_url: str, source: str
) -> None:
    """The newest version of every record equals what a full re-read at the later night serves."""
    refreshed_batch = report_of(nights[source]["refresh"], DAILY[source]).batch_id
    latest = nights[source]["latest"]
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            f"select record_id, record from raw.{source}__{DAILY[source]} where batch_id = %s", (refreshed_batch,)
        ).fetchall()
    assert dict(rows) == latest


@pytest.mark.parametrize("source", SOURCES)
def test_conversions_of_recent_days_were_restated_between_the_nights(
    nights: dict[str, Any], warehouse_url: str, source: str
) -> None:
    first_batch = report_of(nights[source]["first"], DAILY[source]).batch_id
    with psycopg.connect(warehouse_url) as conn:
        first = dict(
            conn.execute(
                f"select record_id, record from raw.{source}__{DAILY[source]} where batch_id = %s", (first_batch,)
            ).fetchall()
        )
    changed = [record_id for record_id, record in first.items() if nights[source]["latest"][record_id] != record]
    assert changed
    window_start = datetime.date(2026, 3, 15) - datetime.timedelta(days=WINDOW[source] + 1)
    assert all(datetime.date.fromisoformat(record_id.rsplit(":", 1)[1]) >= window_start for record_id in changed)


def test_spend_after_two_nights_equals_the_truth_of_the_later_night(nights: dict[str, Any]) -> None:
    assert nights["spend"] == spend_by_week_and_channel(SEED)


def test_full_refresh_reads_every_account_from_the_history_start_again(
    nights: dict[str, Any], warehouse_url: str
) -> None:
    for source in SOURCES:
        report = report_of(nights[source]["refresh"], DAILY[source])
        assert report.mode == "full"
        spans = days_by_account(warehouse_url, f"{source}__{DAILY[source]}", report.batch_id)
        assert min(first for first, _ in spans.values()) == datetime.date(2026, 1, 5)


def test_since_overrides_the_stored_days(nights: dict[str, Any], warehouse_url: str) -> None:
    since = datetime.datetime(2026, 3, 20, tzinfo=datetime.UTC)
    client = recorded_client("google_ads", nights["url"])[0]
    with pytest.MonkeyPatch.context() as patch:
        point_settings_at(patch, nights["url"])
        reports = run_all("google_ads", client, warehouse_url, since=since)
    spans = days_by_account(warehouse_url, "google_ads__campaign_daily", report_of(reports, "campaign_daily").batch_id)
    assert {first for first, _ in spans.values()} == {datetime.date(2026, 3, 20)}
