"""Helpers for the ad extractor tests: settings, clients with recorded requests and sleeps, raw spend by week."""

from __future__ import annotations

import datetime
import socket
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import psycopg
import pytest
import requests

from extractors.core.reports import ReportClient
from extractors.runner import StreamReport, run_stream
from sandbox.ads.truth import CENT, FX_TO_USD, week_of

TOKEN = "ads-test-token-5f3a9c"
SEED = 7
PREFIXES = {"google_ads": "GOOGLE_ADS", "meta_ads": "META_ADS", "linkedin_ads": "LINKEDIN_ADS"}
CHANNEL = {"google_ads": "paid_search", "meta_ads": "paid_social", "linkedin_ads": "paid_social"}
# Per stream: the SQL expressions (over `record`) of the reporting day and the spend in account currency.
SPEND_SQL = {
    "google_ads": ("record->'segments'->>'date'", "(record->'metrics'->>'costMicros')::numeric / 1000000"),
    "meta_ads": ("record->>'date_start'", "(record->>'spend')::numeric"),
    "linkedin_ads": (
        "make_date((record->'dateRange'->'start'->>'year')::int, (record->'dateRange'->'start'->>'month')::int,"
        " (record->'dateRange'->'start'->>'day')::int)::text",
        "(record->>'costInLocalCurrency')::numeric",
    ),
}
CURRENCY_SQL = {
    "google_ads": "record->'customer'->>'currencyCode'",
    "meta_ads": "record->>'currency'",
    "linkedin_ads": "record->>'currency'",
}


def sandbox_arguments(*extra: str) -> list[str]:
    return ["--token", TOKEN, "--seed", str(SEED), "--scale", "20", *extra]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def point_settings_at(monkeypatch: pytest.MonkeyPatch, base_url: str, token: str = TOKEN) -> None:
    for prefix in PREFIXES.values():
        monkeypatch.setenv(f"{prefix}_BASE_URL", base_url)
        monkeypatch.setenv(f"{prefix}_TOKEN", token)
        monkeypatch.setenv(f"{prefix}_REQUESTS_PER_MINUTE", "100000")  # loopback: no client-side budget waits
    monkeypatch.setenv("GOOGLE_ADS_DEVELOPER_TOKEN", token)


@dataclass
class Recorded:
    """Requests a client sent (method, path, status, query) and the sleeps it asked for."""

    requests: list[tuple[str, str, int, str]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def paths(self, method: str | None = None) -> list[str]:
        return [path for m, path, _, _ in self.requests if method is None or m == method]


def recorded_client(source: str, base_url: str, token: str = TOKEN) -> tuple[ReportClient, Recorded]:
    """The source's own client (from the environment, as `python -m extractors` builds it), recording."""
    import importlib

    from warehouse.config import Secret, SourceSettings

    module = importlib.import_module(f"extractors.{source}.client")
    client = module.make_client(SourceSettings(name=source, base_url=base_url, token=Secret(token)))
    recorded = Recorded()

    def note(response: requests.Response, *args: object, **kwargs: object) -> None:
        path, _, query = response.request.path_url.partition("?")
        recorded.requests.append((str(response.request.method), path, response.status_code, query))

    client.session.hooks["response"].append(note)
    client.retry.sleep = recorded.sleeps.append
    return client, recorded


def run_all(source: str, client: ReportClient, warehouse_url: str, **options: object) -> list[StreamReport]:
    import importlib

    from extractors.runner import RunOptions

    streams = importlib.import_module(f"extractors.{source}.streams").STREAMS
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        return [run_stream(stream, client, conn, options=RunOptions(**options)) for stream in streams]  # type: ignore[arg-type]


def latest_rows(warehouse_url: str, table: str) -> list[tuple[str, dict]]:
    """Staging-style: the newest batch's version of each record id."""
    with psycopg.connect(warehouse_url) as conn:
        return conn.execute(
            f"select distinct on (record_id) record_id, record from raw.{table} order by record_id, batch_id desc"
        ).fetchall()


def spend_by_week(warehouse_url: str, source: str, stream: str) -> dict[tuple[datetime.date, str], Decimal]:
    """USD spend per (Monday of the reported day's week, channel) from the latest version of each raw row."""
    day_sql, spend_sql = SPEND_SQL[source]
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            f"""
            with latest as (
                select distinct on (record_id) record
                from raw.{source}__{stream} order by record_id, batch_id desc
            ), accounts as (
                select distinct on (record_id) record_id as account_id, {CURRENCY_SQL[source]} as currency
                from raw.{source}__accounts order by record_id, batch_id desc
            )
            select {day_sql} as day, accounts.currency, sum({spend_sql})
            from latest join accounts on accounts.account_id = latest.record->>'account_id'
            group by 1, 2
            """
        ).fetchall()
    totals: dict[tuple[datetime.date, str], Decimal] = defaultdict(Decimal)
    for day, currency, amount in rows:
        totals[(week_of(datetime.date.fromisoformat(day)), CHANNEL[source])] += amount * FX_TO_USD[currency]
    return dict(totals)


def rounded(totals: dict) -> dict:
    return {key: value.quantize(CENT, rounding=ROUND_HALF_UP) for key, value in sorted(totals.items()) if value}


def combined(*parts: dict) -> dict:
    totals: dict = defaultdict(Decimal)
    for part in parts:
        for key, value in part.items():
            totals[key] += value
    return rounded(totals)
