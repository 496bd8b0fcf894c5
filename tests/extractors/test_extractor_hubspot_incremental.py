"""Incremental reads against the sandbox: search since the cursor minus the lookback, capped cursors, overrides.

"The next night" is a sandbox with a later `--now` on the same port (the same endpoint, so the cursor holds).
"""

from __future__ import annotations

import dataclasses
import datetime
import socket
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from extractors.core.http import ExtractError, HttpClient
from extractors.core.load import RawLoader
from extractors.core.pagination import Page, SearchPaginator, parse_instant
from extractors.hubspot.client import make_client
from extractors.hubspot.streams import STREAMS
from extractors.runner import RunOptions, StreamReport, run_stream
from sandbox.launcher import running_sandbox
from tests.extractors.hubspot_sandbox import TOKEN, sandbox_arguments
from warehouse.config import Secret, SourceSettings

COMPANIES = next(stream for stream in STREAMS if stream.name == "companies")
CONTACTS = next(stream for stream in STREAMS if stream.name == "contacts")
FIRST_NIGHT = "2026-03-15T00:00:00Z"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client_for(url: str) -> HttpClient:
    return make_client(SourceSettings(name="hubspot", base_url=url, token=Secret(TOKEN)))


def run(stream_name: str, url: str, warehouse_url: str, options: RunOptions | None = None) -> StreamReport:
    stream = next(stream for stream in STREAMS if stream.name == stream_name)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        return run_stream(stream, client_for(url), conn, options=options)


def companies_served(url: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{url}/crm/v3/objects/companies", params={"limit": 100}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    records = response.json()["results"]
    assert "paging" not in response.json()  # one page at this scale
    return records


def batch_ids(warehouse_url: str, batch_id: int) -> set[str]:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select record_id from raw.hubspot__companies where batch_id = %s and not is_deleted", (batch_id,)
        ).fetchall()
    return {record_id for (record_id,) in rows}


def stored_cursor(warehouse_url: str, stream: str = "companies") -> datetime.datetime | None:
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute(
            "select cursor_value from raw._sync_state where source = 'hubspot' and stream = %s", (stream,)
        ).fetchone()
    return None if row is None else row[0]


@pytest.fixture(scope="module")
def nights(warehouse_url: str) -> Iterator[dict[str, Any]]:
    """Night one (full read) and night two (incremental) of the companies stream, on one endpoint."""
    port = free_port()
    arguments = [*sandbox_arguments(), "--port", str(port)]
    with running_sandbox([*arguments, "--now", FIRST_NIGHT]) as sandbox:
        first = run("companies", sandbox.url, warehouse_url)
    cursor_after_first = stored_cursor(warehouse_url)
    with running_sandbox(arguments) as sandbox:
        second = run("companies", sandbox.url, warehouse_url)
        yield {"first": first, "second": second, "cursor": cursor_after_first, "url": sandbox.url}


def test_the_first_night_reads_everything_through_the_list(nights: dict[str, Any]) -> None:
    assert nights["first"].mode == "full"


def test_the_second_night_reads_only_companies_changed_since_the_cursor_minus_the_lookback(
    nights: dict[str, Any], warehouse_url: str
) -> None:
    since = nights["cursor"] - COMPANIES.lookback
    served = companies_served(nights["url"])
    changed = {record["id"] for record in served if parse_instant(record["updatedAt"]) >= since}

    assert nights["second"].mode == "incremental"
    assert batch_ids(warehouse_url, nights["second"].batch_id) == changed
    assert 0 < len(changed) < len(served)


def test_the_second_night_moves_the_cursor_to_the_newest_change_it_read(
    nights: dict[str, Any], warehouse_url: str
) -> None:
    newest = max(parse_instant(record["updatedAt"]) for record in companies_served(nights["url"]))
    assert stored_cursor(warehouse_url) == newest > nights["cursor"]


def test_full_refresh_reads_every_company_again_through_the_list(nights: dict[str, Any], warehouse_url: str) -> None:
    report = run("companies", nights["url"], warehouse_url, RunOptions(full_refresh=True))
    assert report.mode == "full"
    assert batch_ids(warehouse_url, report.batch_id) == {record["id"] for record in companies_served(nights["url"])}


def test_since_overrides_the_stored_cursor(nights: dict[str, Any], warehouse_url: str) -> None:
    since = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    report = run("companies", nights["url"], warehouse_url, RunOptions(since=since))
    served = companies_served(nights["url"])
    assert report.mode == "incremental"
    assert batch_ids(warehouse_url, report.batch_id) == {
        record["id"] for record in served if parse_instant(record["updatedAt"]) >= since
    }


def test_a_cursor_read_from_another_endpoint_is_not_reused(warehouse_url: str) -> None:
    with running_sandbox(sandbox_arguments()) as other:  # same story, another server
        report = run("companies", other.url, warehouse_url)
        assert report.mode == "full"
        assert report.records == len(companies_served(other.url))


def test_search_restarts_from_the_last_cursor_before_its_cap_and_reads_each_contact_once(sandbox_url: str) -> None:
    client = client_for(sandbox_url)
    bodies: list[dict[str, Any]] = []
    real_post = client.post_json
    client.post_json = lambda path, body: (bodies.append(body), real_post(path, body))[1]  # type: ignore[method-assign]
    search = SearchPaginator(cursor_property="lastmodifieddate", page_size=40, result_cap=100)
    since = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

    pages = list(search.pages(client, "/crm/v3/objects/contacts/search", since, ["lastmodifieddate", "email"]))
    ids = [record["id"] for page in pages for record in page.records]
    modified = [record["properties"]["lastmodifieddate"] for page in pages for record in page.records]

    active = {record["id"] for record in requests_list(sandbox_url, "/crm/v3/objects/contacts")}
    assert sorted(ids) == sorted(active)  # every active contact, none twice
    assert modified == sorted(modified)  # in cursor order, so each page may move the cursor
    starts = [body["filterGroups"][0]["filters"][0]["value"] for body in bodies if "after" not in body]
    assert len(starts) >= 3 and starts == sorted(starts)  # restarted from later and later cursor values
    assert all(int(body.get("after", 0)) + body["limit"] <= 100 for body in bodies)  # never asked past the cap


def requests_list(url: str, path: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    query: dict[str, Any] = {"limit": 100}
    while True:
        body = requests.get(f"{url}{path}", params=query, headers={"Authorization": f"Bearer {TOKEN}"}).json()
        records += body["results"]
        if "paging" not in body:
            return records
        query["after"] = body["paging"]["next"]["after"]


def test_the_cursor_never_moves_past_the_start_of_the_sync_that_read_it(server_url: str) -> None:
    """A story whose present lies after the wall clock has changes 'from the future': the cursor stops at the start."""
    name = "test_future_cursor"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    warehouse_url = f"{server_url.rpartition('/')[0]}/{name}"
    try:
        with running_sandbox([*sandbox_arguments(), "--now", "2030-01-01T00:00:00Z"]) as sandbox:
            report = run("companies", sandbox.url, warehouse_url)
        with psycopg.connect(warehouse_url) as conn:
            newest, started = conn.execute(
                "select max(cursor_value), (select started_at from raw._batches where batch_id = %s) "
                "from raw.hubspot__companies",
                (report.batch_id,),
            ).fetchone()
        cursor = stored_cursor(warehouse_url)
        assert newest > started  # the sandbox did serve changes dated after the sync began
        assert started - datetime.timedelta(seconds=5) < cursor <= started
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def test_a_full_read_that_fails_half_way_leaves_the_cursor_where_it_was(
    sandbox_url: str, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "test_half_read"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    warehouse_url = f"{server_url.rpartition('/')[0]}/{name}"
    client = client_for(sandbox_url)
    real_get = client.get_json
    calls = iter(range(100))

    def fail_on_the_third_page(path: str, params: Any = None) -> Any:
        if next(calls) == 3:  # discovery, page 1, page 2, then this
            raise ExtractError("hubspot: the connection went away")
        return real_get(path, params)

    monkeypatch.setattr(client, "get_json", fail_on_the_third_page)
    try:
        with psycopg.connect(warehouse_url, autocommit=True) as conn:
            with pytest.raises(ExtractError):
                run_stream(CONTACTS, client, conn)
            loaded = conn.execute("select count(*) from raw.hubspot__contacts").fetchone()
        assert loaded == (100,)  # two pages of 50 landed ...
        assert stored_cursor(warehouse_url, "contacts") is None  # ... but read by id, they prove nothing about time
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


def test_a_page_read_in_cursor_order_moves_the_cursor_to_its_search_checkpoint_not_to_a_newer_reread_record(
    warehouse_url: str,
) -> None:
    """Batch/read may return a record changed after the search saw it; the search has not passed that time yet."""
    checkpoint = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    changed_since = {"id": "9", "properties": {}, "updatedAt": "2026-03-20T00:00:00.000Z"}
    page = Page(1, [changed_since], "http://example/batch/read", checkpoint=checkpoint)
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        loader = RawLoader(conn, dataclasses.replace(COMPANIES, name="checkpointed"), endpoint="http://example")
        loader.ensure_tables()
        loader.write_page(
            loader.start_batch(), page, is_deleted=False, move_cursor_until=datetime.datetime.now(datetime.UTC)
        )
    assert stored_cursor(warehouse_url, "checkpointed") == checkpoint


def test_search_pages_past_hubspots_10000_result_cap_by_restarting_without_a_400() -> None:
    since = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with running_sandbox(sandbox_arguments(scale=10_500)) as sandbox:  # about 10,100 active contacts
        total = requests.post(
            f"{sandbox.url}/crm/v3/objects/contacts/search",
            json={"limit": 1},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        ).json()["total"]
        client = client_for(sandbox.url)
        pages = CONTACTS.search.pages(client, CONTACTS.search_path, since, ["lastmodifieddate"])
        ids = [record["id"] for page in pages for record in page.records]

    assert total > 10_000
    assert len(ids) == len(set(ids)) == total
    assert client.requests_sent > 10_000 // 200  # the 50 pages one query allows, then a restart
