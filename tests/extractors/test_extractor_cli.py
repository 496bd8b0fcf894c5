"""`python -m extractors run hubspot` as a shell would run it: a table on success, exit 2 with a fix on error."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import psycopg

from extractors.hubspot.streams import STREAMS
from sandbox.launcher import REPO_ROOT
from tests.extractors.hubspot_sandbox import TOKEN, Served


def run_cli(*arguments: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with these settings and no other WAREHOUSE_/HUBSPOT_ variables from the test environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("WAREHOUSE_", "HUBSPOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "extractors", *arguments],
        cwd=REPO_ROOT,
        env={**env, **settings},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_hubspot_prints_one_table_row_per_stream_with_its_counts(
    warehouse_url: str, sandbox_url: str, expected: Served
) -> None:
    done = run_cli("run", "hubspot", WAREHOUSE_URL=warehouse_url, HUBSPOT_BASE_URL=sandbox_url, HUBSPOT_TOKEN=TOKEN)

    assert done.returncode == 0, done.stderr
    header, *table_rows = done.stdout.splitlines()
    assert header.split() == ["table", "records", "pages", "retries", "seconds"]
    table = {row.split()[0]: [int(count) for count in row.split()[1:4]] for row in table_rows}
    assert list(table) == [f"raw.{stream.table}" for stream in STREAMS]
    assert table["raw.hubspot__contacts"] == [expected.total, expected.pages, 0]
    with psycopg.connect(warehouse_url) as conn:
        for name, (records, _pages, _retries) in table.items():
            assert conn.execute(f"select count(*) from {name}").fetchone() == (records,)
    progress = done.stderr.splitlines()  # \r-updated lines, read back as lines
    for name, (records, pages, _retries) in table.items():  # each stream's last progress line has its totals
        assert any(line.startswith(f"{name}: {pages} pages, {records} records, ") for line in progress)


def test_run_without_hubspot_token_exits_2_naming_the_setting(warehouse_url: str, sandbox_url: str) -> None:
    done = run_cli("run", "hubspot", WAREHOUSE_URL=warehouse_url, HUBSPOT_BASE_URL=sandbox_url)

    assert done.returncode == 2
    assert "HUBSPOT_TOKEN is not set" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_run_with_a_wrong_token_exits_2_without_a_traceback_or_the_token(warehouse_url: str, sandbox_url: str) -> None:
    wrong = "pat-na1-not-the-right-one"
    done = run_cli("run", "hubspot", WAREHOUSE_URL=warehouse_url, HUBSPOT_BASE_URL=sandbox_url, HUBSPOT_TOKEN=wrong)

    assert done.returncode == 2
    assert "check HUBSPOT_TOKEN" in done.stderr
    assert "Traceback" not in done.stderr
    assert wrong not in done.stderr + done.stdout


def test_run_with_an_unknown_stream_exits_2_listing_the_known_ones(warehouse_url: str, sandbox_url: str) -> None:
    done = run_cli(
        "run",
        "hubspot",
        "--stream",
        "tickets",
        WAREHOUSE_URL=warehouse_url,
        HUBSPOT_BASE_URL=sandbox_url,
        HUBSPOT_TOKEN=TOKEN,
    )

    assert done.returncode == 2
    assert "unknown stream(s) tickets: known are calls, calls_to_contacts, companies" in done.stderr


def test_run_with_an_unreachable_warehouse_exits_2_naming_WAREHOUSE_URL(sandbox_url: str) -> None:
    with socket.socket() as probe:  # a loopback port that nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    warehouse_url = f"postgresql://postgres:db-password@127.0.0.1:{port}/warehouse"
    done = run_cli("run", "hubspot", WAREHOUSE_URL=warehouse_url, HUBSPOT_BASE_URL=sandbox_url, HUBSPOT_TOKEN=TOKEN)

    assert done.returncode == 2
    assert "cannot reach the warehouse; check WAREHOUSE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert "db-password" not in done.stderr
