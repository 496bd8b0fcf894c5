"""Association streams between full reads: follow only the parents changed since the cursor minus the lookback.

Two nights on one endpoint (the sandbox with a later `--now` is "the next night"): contacts, then its
association streams. The second night posts only the contacts that changed, and ends with the same latest
associations as a full read of every contact (in the sandbox, as in HubSpot for these pairs, an association
appears together with a change of its parent: a new deal moves the contact's lifecycle stage).
"""

from __future__ import annotations

import datetime
import socket
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from extractors.hubspot.client import make_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import RunOptions, StreamReport, run_stream
from sandbox.launcher import running_sandbox
from tests.extractors.hubspot_sandbox import TOKEN, sandbox_arguments
from warehouse.config import Secret, SourceSettings

FIRST_NIGHT = "2026-03-15T00:00:00Z"
ASSOCIATIONS = ("contacts_to_deals", "contacts_to_companies")
BY_NAME = {stream.name: stream for stream in STREAMS}
# The latest row per from-id up to a batch, as staging picks it (associations have no cursor).
LATEST_UP_TO = """
select distinct on (record_id) record_id, record from raw.hubspot__{stream}
where batch_id <= %s order by record_id, batch_id desc
"""
ACTIVE_CHANGED_SINCE = """
select record_id from (
    select distinct on (record_id) record_id, cursor_value, is_deleted from raw.hubspot__contacts
    order by record_id, cursor_value desc nulls last, batch_id desc, is_deleted desc
) as latest
where not is_deleted and cursor_value >= %s
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def night(url: str, warehouse_url: str, options: RunOptions | None = None) -> dict[str, StreamReport]:
    client = make_client(SourceSettings(name="hubspot", base_url=url, token=Secret(TOKEN)))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        return {name: run_stream(BY_NAME[name], client, conn, options=options) for name in ("contacts", *ASSOCIATIONS)}


def sync_state(warehouse_url: str, stream: str) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute(
            "select cursor_value, full_read_at from raw._sync_state where source = 'hubspot' and stream = %s",
            (stream,),
        ).fetchone()
    assert row is not None
    return row[0], row[1]


def from_ids(warehouse_url: str, stream: str, batch_id: int) -> set[str]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(f"select record_id from raw.hubspot__{stream} where batch_id = %s", (batch_id,))
        return {record_id for (record_id,) in rows.fetchall()}


@pytest.fixture(scope="module")
def nights(warehouse_url: str) -> Iterator[dict[str, Any]]:
    arguments = [*sandbox_arguments(), "--port", str(free_port())]
    with running_sandbox([*arguments, "--now", FIRST_NIGHT]) as sandbox:
        first = night(sandbox.url, warehouse_url)
    after_first = {name: sync_state(warehouse_url, name) for name in ("contacts", *ASSOCIATIONS)}
    with running_sandbox(arguments) as sandbox:
        second = night(sandbox.url, warehouse_url)
        yield {"first": first, "second": second, "after_first": after_first, "url": sandbox.url}


def test_the_first_night_reads_every_active_parent_and_stores_the_parents_cursor(nights: dict[str, Any]) -> None:
    contacts_cursor, _ = nights["after_first"]["contacts"]
    for name in ASSOCIATIONS:
        assert nights["first"][name].mode == "by-parent"
        cursor, full_read_at = nights["after_first"][name]
        assert cursor == contacts_cursor is not None
        assert full_read_at is not None


@pytest.mark.parametrize("stream", ASSOCIATIONS)
def test_the_second_night_posts_only_the_contacts_changed_since_the_cursor_minus_the_lookback(
    nights: dict[str, Any], warehouse_url: str, stream: str
) -> None:
    cursor, _ = nights["after_first"][stream]
    with psycopg.connect(warehouse_url) as conn:
        changed = {row[0] for row in conn.execute(ACTIVE_CHANGED_SINCE, (cursor - BY_NAME[stream].lookback,))}
        (active,) = conn.execute(
            "select count(*) from raw.hubspot__contacts_to_companies where batch_id = %s",
            (nights["first"]["contacts_to_companies"].batch_id,),
        ).fetchone()

    report = nights["second"][stream]
    assert report.mode == "by-parent incremental"
    assert from_ids(warehouse_url, stream, report.batch_id) == changed
    assert 0 < len(changed) < active


@pytest.mark.parametrize("stream", ASSOCIATIONS)
def test_after_the_second_night_the_latest_associations_equal_a_full_read(
    nights: dict[str, Any], warehouse_url: str, stream: str
) -> None:
    client = make_client(SourceSettings(name="hubspot", base_url=nights["url"], token=Secret(TOKEN)))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        full = run_stream(BY_NAME[stream], client, conn, options=RunOptions(full_refresh=True))
        latest = dict(conn.execute(LATEST_UP_TO.format(stream=stream), (nights["second"][stream].batch_id,)))
        fresh = dict(
            conn.execute(f"select record_id, record from raw.hubspot__{stream} where batch_id = %s", (full.batch_id,))
        )

    assert full.mode == "by-parent"
    assert {record_id: latest[record_id] for record_id in fresh} == fresh
    if stream == "contacts_to_deals":  # deals appeared between the nights: the incremental read caught them
        first_night = from_ids(warehouse_url, stream, nights["first"][stream].batch_id)
        assert any(record["to"] and record_id in first_night for record_id, record in fresh.items())


def test_a_full_read_comes_back_once_the_last_one_is_a_week_old(nights: dict[str, Any], warehouse_url: str) -> None:
    stream = BY_NAME["contacts_to_companies"]
    client = make_client(SourceSettings(name="hubspot", base_url=nights["url"], token=Secret(TOKEN)))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        not_yet = run_stream(stream, client, conn)
        conn.execute(
            "update raw._sync_state set full_read_at = now() - %s where source = 'hubspot' and stream = %s",
            (stream.parent_full_read_every, stream.name),
        )
        due = run_stream(stream, client, conn)

    assert (not_yet.mode, due.mode) == ("by-parent incremental", "by-parent")
    assert sync_state(warehouse_url, stream.name)[1] > datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
