"""A run against a sandbox enforcing a tiny rate budget: refused requests are retried and nothing is lost.

The sandbox's window is a real 10 s, so this module waits out one window (about 10 s).
"""

from __future__ import annotations

import time

import psycopg
import pytest

from extractors.core.http import RetryPolicy
from extractors.hubspot.client import make_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import StreamReport, run_stream
from sandbox.launcher import running_sandbox
from tests.extractors.hubspot_sandbox import SEED, TOKEN, Served, sandbox_arguments, served
from warehouse.config import Secret, SourceSettings

SCALE = 600  # 586 active + 14 archived contacts: 7 pages, more than the budget of 5 requests
BUDGET = 5


@pytest.fixture(scope="module")
def expected_here() -> Served:
    return served(SEED, SCALE)


@pytest.fixture(scope="module")
def report(warehouse_url: str) -> StreamReport:
    with running_sandbox([*sandbox_arguments(SEED, SCALE), "--rate-limit", str(BUDGET)]) as sandbox:
        settings = SourceSettings(name="hubspot", base_url=sandbox.url, token=Secret(TOKEN))
        client = make_client(settings)
        # Real sleeps, capped short: some 429s carry Retry-After (up to 10 s), the others only name their policy.
        client.retry = RetryPolicy(max_attempts=15, base_delay=0.25, max_delay=2.0, sleep=time.sleep)
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            return run_stream(STREAMS[0], client, conn)


def test_a_rate_limited_run_retries_and_still_loads_every_contact(
    report: StreamReport, warehouse_url: str, expected_here: Served
) -> None:
    assert expected_here.pages > BUDGET
    assert report.retries > 0
    assert (report.records, report.pages) == (expected_here.total, expected_here.pages)
    with psycopg.connect(warehouse_url) as conn:
        ids = {row[0] for row in conn.execute("select record_id from raw.hubspot__contacts").fetchall()}
        (status,) = conn.execute("select status from raw._batches where batch_id = %s", (report.batch_id,)).fetchone()
    assert ids == expected_here.active_ids | expected_here.archived_ids
    assert status == "succeeded"
