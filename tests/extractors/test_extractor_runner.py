"""The runner: streams of one source share one client, and each report counts only its own stream's work."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import psycopg
import pytest

from extractors.core.http import HttpClient, RetryPolicy
from extractors.core.pagination import AfterCursorPaginator
from extractors.core.streams import Stream
from extractors.hubspot import client as hubspot_client
from extractors.hubspot import streams as hubspot_streams
from extractors.runner import run_source, run_stream
from tests.extractors.hubspot_sandbox import Served, point_settings_at
from tests.extractors.scripted_server import ScriptedServer, json_reply, scripted_server
from warehouse.config import SourceSettings


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


def test_streams_of_one_source_share_one_client_and_its_rate_budget(
    monkeypatch: pytest.MonkeyPatch, warehouse_url: str, sandbox_url: str, expected: Served
) -> None:
    contacts = hubspot_streams.STREAMS[0]
    monkeypatch.setattr(hubspot_streams, "STREAMS", (contacts, dataclasses.replace(contacts, name="contacts_again")))
    clients: list[HttpClient] = []
    real_make_client = hubspot_client.make_client

    def make_and_remember_client(settings: SourceSettings) -> HttpClient:
        clients.append(real_make_client(settings))
        return clients[-1]

    monkeypatch.setattr(hubspot_client, "make_client", make_and_remember_client)
    point_settings_at(monkeypatch, warehouse_url, sandbox_url)

    reports = run_source("hubspot", ["contacts", "contacts_again"])

    assert [report.table for report in reports] == ["raw.hubspot__contacts", "raw.hubspot__contacts_again"]
    assert [report.records for report in reports] == [expected.total, expected.total]
    assert len(clients) == 1
    assert clients[0].requests_sent == 2 * (1 + expected.pages)  # property discovery, then the pages


def test_each_stream_report_counts_only_its_own_retries(db: psycopg.Connection) -> None:
    def stream(name: str) -> Stream:
        return Stream(
            source="scripted",
            name=name,
            path="/things",
            primary_key="id",
            cursor_field="updatedAt",
            paginator=AfterCursorPaginator(),
        )

    page = {"results": [{"id": "1", "updatedAt": "2026-01-05T00:00:00.000Z"}]}
    server: ScriptedServer
    with scripted_server() as server:
        server.answer(json_reply(503, {}), json_reply(503, {}), json_reply(200, page), json_reply(200, page))
        client = HttpClient(
            source="scripted",
            base_url=server.url,
            headers={},
            credential_setting="SCRIPTED_TOKEN",
            retry=RetryPolicy(sleep=lambda _seconds: None),
        )
        first = run_stream(stream("first"), client, db)
        second = run_stream(stream("second"), client, db)

    assert (first.retries, first.records, second.retries, second.records) == (2, 1, 0, 1)
    assert client.retries == 2
