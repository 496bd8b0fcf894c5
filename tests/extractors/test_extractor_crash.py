"""SIGKILL `python -m extractors run hubspot` mid-run, run it again: the warehouse ends exactly as after one
uninterrupted run (every record's latest version, nothing lost, nothing doubled after staging's dedup).

The first run talks to a sandbox with a budget of 2 requests per 10 s, so it is stuck waiting on a 429 right
after its first page, where it is killed. The rerun and the uninterrupted run use an unlimited sandbox on the
same port: the same endpoint, so the state the killed run left behind counts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sandbox.launcher import REPO_ROOT, running_sandbox
from tests.extractors.hubspot_sandbox import TOKEN, sandbox_arguments

STREAMS = ("contacts", "companies", "contacts_to_companies")
# The latest version of each record, as staging's dedup picks it.
LATEST = """
select record_id, cursor_value, record, is_deleted from (
    select *, row_number() over (
        partition by record_id order by cursor_value desc nulls last, batch_id desc, is_deleted desc
    ) as version_rank
    from raw.{table}
) as ranked
where version_rank = 1
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def extractor(warehouse_url: str, url: str) -> subprocess.Popen[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("WAREHOUSE_", "HUBSPOT_"))}
    env |= {"WAREHOUSE_URL": warehouse_url, "HUBSPOT_BASE_URL": url, "HUBSPOT_TOKEN": TOKEN}
    stream_arguments = [argument for stream in STREAMS for argument in ("--stream", stream)]
    return subprocess.Popen(
        [sys.executable, "-m", "extractors", "run", "hubspot", *stream_arguments],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def pages_loaded(warehouse_url: str) -> int:
    try:
        with psycopg.connect(warehouse_url) as conn:
            row = conn.execute("select coalesce(sum(pages), 0) from raw._batches").fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0])


def latest(warehouse_url: str, table: str) -> dict[str, tuple[Any, ...]]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(LATEST.format(table=table)).fetchall()
    return {row[0]: row for row in rows}


@pytest.fixture(scope="module")
def other_database(server_url: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    yield f"{server_url.rpartition('/')[0]}/{name}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def killed_and_rerun(warehouse_url: str, other_database: str) -> dict[str, Any]:
    port = free_port()
    arguments = [*sandbox_arguments(), "--port", str(port)]
    with running_sandbox([*arguments, "--rate-limit", "2"]) as slow:
        process = extractor(warehouse_url, slow.url)
        deadline = time.monotonic() + 20
        while pages_loaded(warehouse_url) < 1 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
    with psycopg.connect(warehouse_url) as conn:
        killed = conn.execute("select stream, status, pages from raw._batches").fetchall()
    with running_sandbox(arguments) as sandbox:
        rerun = extractor(warehouse_url, sandbox.url)
        uninterrupted = extractor(other_database, sandbox.url)
        outputs = [rerun.communicate(timeout=60), uninterrupted.communicate(timeout=60)]
    assert (rerun.returncode, uninterrupted.returncode) == (0, 0), outputs
    return {"killed": killed, "process": process}


def test_the_run_was_killed_after_its_first_page_landed(killed_and_rerun: dict[str, Any]) -> None:
    assert killed_and_rerun["process"].returncode == -signal.SIGKILL
    assert killed_and_rerun["killed"] == [("contacts", "running", 1)]  # left running, never marked


def test_the_rerun_marks_the_killed_runs_batch_abandoned(killed_and_rerun: dict[str, Any], warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        batches = conn.execute("select stream, status, pages from raw._batches order by batch_id").fetchall()
    assert batches[0] == ("contacts", "abandoned", 1)
    assert [status for _, status, _ in batches[1:]] == ["succeeded"] * len(STREAMS)


@pytest.mark.parametrize("stream", STREAMS)
def test_the_rerun_ends_with_the_same_latest_records_as_an_uninterrupted_run(
    killed_and_rerun: dict[str, Any], warehouse_url: str, other_database: str, stream: str
) -> None:
    resumed = latest(warehouse_url, f"hubspot__{stream}")
    assert resumed == latest(other_database, f"hubspot__{stream}")
    assert len(resumed) > 0


def test_the_killed_runs_rows_are_superseded_not_doubled_after_dedup(
    killed_and_rerun: dict[str, Any], warehouse_url: str, other_database: str
) -> None:
    with psycopg.connect(warehouse_url) as conn:
        raw_rows, ids = conn.execute("select count(*), count(distinct record_id) from raw.hubspot__contacts").fetchone()
    with psycopg.connect(other_database) as conn:
        (clean_rows,) = conn.execute("select count(*) from raw.hubspot__contacts").fetchone()
    assert ids == clean_rows  # one latest row per contact, as many as the clean run has
    assert raw_rows == clean_rows + 50  # plus the killed run's first page, which dedup folds away
