"""Bad input: records that break a stream's shape go to raw._rejects, the DAILY quota fails fast, new
properties are reported once, and a failure to mark a batch failed never hides the error that caused it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import psycopg
import pytest

from extractors.core.http import ExtractError, HttpClient, RetryPolicy
from extractors.core.load import RawLoader
from extractors.core.pagination import AfterCursorPaginator
from extractors.core.streams import Stream
from extractors.hubspot.client import make_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import run_stream
from tests.extractors.hubspot_sandbox import TOKEN
from tests.extractors.scripted_server import ScriptedServer, json_reply, scripted_server
from warehouse.config import Secret, SourceSettings

COMPANIES = next(stream for stream in STREAMS if stream.name == "companies")
GOOD = {"id": "1", "properties": {"name": "Acme"}, "updatedAt": "2026-01-05T00:00:00.000Z"}
NO_ID = {"properties": {"name": "Nameless"}, "updatedAt": "2026-01-05T00:00:00.000Z"}
BAD_CURSOR = {"id": "3", "properties": {}, "updatedAt": "last tuesday"}


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with scripted_server() as running:
        yield running


def things(name: str = "things") -> Stream:
    return Stream(
        source="scripted",
        name=name,
        path="/things",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(),
    )


def scripted_client(server: ScriptedServer, sleeps: list[float] | None = None) -> HttpClient:
    return HttpClient(
        source="scripted",
        base_url=server.url,
        headers={},
        credential_setting="SCRIPTED_TOKEN",
        retry=RetryPolicy(sleep=(sleeps if sleeps is not None else []).append),
    )


def test_records_that_break_the_declared_shape_go_to_rejects_and_the_run_goes_on(
    server: ScriptedServer, db: psycopg.Connection
) -> None:
    server.answer(json_reply(200, {"results": [GOOD, NO_ID, BAD_CURSOR]}))

    report = run_stream(things(), scripted_client(server), db)

    assert (report.records, report.rejected) == (1, 2)
    assert db.execute("select record_id from raw.scripted__things").fetchall() == [("1",)]
    rejects = db.execute(
        "select source, stream, batch_id, reason, record, url from raw._rejects order by reject_id"
    ).fetchall()
    assert rejects == [
        ("scripted", "things", report.batch_id, "no usable primary key 'id'", NO_ID, f"{server.url}/things"),
        (
            "scripted",
            "things",
            report.batch_id,
            "cursor 'updatedAt' is not an ISO 8601 timestamp: 'last tuesday'",
            BAD_CURSOR,
            f"{server.url}/things",
        ),
    ]
    batch = db.execute("select status, records, rejected from raw._batches where batch_id = %s", (report.batch_id,))
    assert batch.fetchone() == ("succeeded", 1, 2)


def test_a_429_under_hubspots_daily_policy_fails_at_once_saying_waiting_will_not_help(server: ScriptedServer) -> None:
    sleeps: list[float] = []
    client = make_client(SourceSettings(name="hubspot", base_url=server.url, token=Secret(TOKEN)))
    client.retry = RetryPolicy(sleep=sleeps.append)
    daily = {"status": "error", "message": "You have reached your daily limit.", "policyName": "DAILY"}
    server.answer(json_reply(429, daily), json_reply(200, {"results": []}))

    with pytest.raises(ExtractError) as caught:
        client.get_json("/crm/v3/objects/contacts", {"limit": 100})
    message = str(caught.value)
    assert message.startswith(f"hubspot: HTTP 429 from {server.url}/crm/v3/objects/contacts: ")
    assert "DAILY" in message and "waiting will not help" in message
    assert (len(server.paths), sleeps, client.retries) == (1, [], 0)


def test_new_properties_are_reported_once_in_the_report_and_the_log(
    db: psycopg.Connection, sandbox_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(SourceSettings(name="hubspot", base_url=sandbox_url, token=Secret(TOKEN)))
    first = run_stream(COMPANIES, client, db)
    # As if `account_tier` had been created in HubSpot since the last run:
    db.execute(
        "update raw._sync_state set properties = properties - 'account_tier' "
        "where source = 'hubspot' and stream = 'companies'"
    )
    with caplog.at_level(logging.WARNING, logger="extractors.runner"):
        second = run_stream(COMPANIES, client, db)
    third = run_stream(COMPANIES, client, db)

    assert (first.new_properties, second.new_properties, third.new_properties) == ((), ("account_tier",), ())
    # (Filtered: an earlier test in the same session may have left the logging configuration more verbose.)
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert warnings == ["hubspot__companies: new properties since the last run: account_tier"]
    (record,) = db.execute(
        "select record from raw.hubspot__companies where batch_id = %s limit 1", (second.batch_id,)
    ).fetchone()
    assert "account_tier" in record["properties"]  # and it is loaded like every other property


def test_when_marking_the_batch_failed_fails_too_the_original_error_is_kept(
    server: ScriptedServer, db: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.answer(json_reply(400, {"message": "Invalid input for 'limit'"}))

    def warehouse_gone(self: RawLoader, batch_id: int, status: str) -> None:
        raise psycopg.OperationalError("the connection to the warehouse was lost")

    monkeypatch.setattr(RawLoader, "finish_batch", warehouse_gone)

    with pytest.raises(ExtractError) as caught:
        run_stream(things("broken"), scripted_client(server), db)
    assert "Invalid input for 'limit'" in str(caught.value)
    assert isinstance(caught.value.__context__, psycopg.OperationalError)
    assert any("also failed" in note and "warehouse was lost" in note for note in caught.value.__notes__)
