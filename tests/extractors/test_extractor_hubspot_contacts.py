"""The HubSpot contacts stream, run twice against the real sandbox server into a fresh warehouse database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from extractors.core.pagination import parse_instant
from extractors.hubspot.streams import STREAMS
from extractors.runner import StreamReport, run_source
from sandbox.story import DEFAULT_NOW_MS, Story
from tests.extractors.hubspot_sandbox import FAULTS, SCALE, SEED, TOKEN, Served, point_settings_at

CONTACTS = STREAMS[0]


def run_hubspot(warehouse_url: str, sandbox_url: str) -> StreamReport:
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_settings_at(monkeypatch, warehouse_url, sandbox_url)
        (report,) = run_source("hubspot", ["contacts"])
    return report


@pytest.fixture(scope="module")
def first_run(warehouse_url: str, sandbox_url: str) -> StreamReport:
    return run_hubspot(warehouse_url, sandbox_url)


@pytest.fixture(scope="module")
def second_run(first_run: StreamReport, warehouse_url: str, sandbox_url: str) -> StreamReport:
    return run_hubspot(warehouse_url, sandbox_url)


@pytest.fixture(scope="module")
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


def rows(db: psycopg.Connection, query: str, *params: object) -> list[tuple[Any, ...]]:
    return db.execute(query, params).fetchall()


# of HISTORY, what contacts have: the UTM fields' history holds every tagged form submission (touch points)
CONTACT_HISTORY = {
    "lifecyclestage",
    "hs_lead_status",
    "hubspot_owner_id",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
}


def property_names(sandbox_url: str) -> set[str]:
    """Every contact property the sandbox's properties endpoint lists, read with plain requests."""
    response = requests.get(
        f"{sandbox_url}/crm/v3/properties/contacts", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    response.raise_for_status()
    return {definition["name"] for definition in response.json()["results"]}


def served_records(sandbox_url: str, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every contact the sandbox serves for these parameters (all properties, the history kept), by id."""
    records: dict[str, dict[str, Any]] = {}
    every_property = ",".join(sorted(property_names(sandbox_url)))
    query = {**params, "properties": every_property, "propertiesWithHistory": ",".join(CONTACT_HISTORY), "limit": 50}
    with requests.Session() as session:
        while True:
            response = session.get(
                f"{sandbox_url}{CONTACTS.path}", params=query, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )
            response.raise_for_status()
            body = response.json()
            records.update((record["id"], record) for record in body["results"])
            if "paging" not in body:
                return records
            query["after"] = body["paging"]["next"]["after"]


def test_first_run_loads_every_active_and_archived_contact_once(
    first_run: StreamReport, db: psycopg.Connection, expected: Served
) -> None:
    loaded = rows(db, "select record_id from raw.hubspot__contacts where batch_id = %s", first_run.batch_id)
    assert len(loaded) == expected.total
    assert {record_id for (record_id,) in loaded} == expected.active_ids | expected.archived_ids
    assert first_run.records == expected.total
    assert first_run.table == "raw.hubspot__contacts"


def test_archived_contacts_land_with_is_deleted_true_and_active_ones_false(
    first_run: StreamReport, db: psycopg.Connection, expected: Served
) -> None:
    flagged = rows(
        db,
        "select record_id, is_deleted, (record->>'archived')::boolean from raw.hubspot__contacts where batch_id = %s",
        first_run.batch_id,
    )
    assert expected.archived_ids, "the reference story should archive some contacts"
    assert {record_id for record_id, is_deleted, _ in flagged if is_deleted} == expected.archived_ids
    assert all(is_deleted == archived for _, is_deleted, archived in flagged)


def test_record_jsonb_is_the_served_contact_with_every_property_as_strings_and_stage_history(
    first_run: StreamReport, db: psycopg.Connection, sandbox_url: str
) -> None:
    stored = dict(
        rows(db, "select record_id, record from raw.hubspot__contacts where batch_id = %s", first_run.batch_id)
    )
    served = served_records(sandbox_url, dict(CONTACTS.params))
    served |= served_records(sandbox_url, dict(CONTACTS.archived_params or {}))
    assert stored == served
    every_property = property_names(sandbox_url)
    assert "sales_rejection_reason" in every_property  # a custom property, discovered like the others
    for record in stored.values():
        properties = record["properties"]
        assert set(properties) == every_property
        assert all(value is None or isinstance(value, str) for value in properties.values())
        assert set(record["propertiesWithHistory"]) == CONTACT_HISTORY


def test_raw_keeps_unknown_lifecycle_stages_verbatim(first_run: StreamReport, db: psycopg.Connection) -> None:
    story = Story(SEED, SCALE, FAULTS)
    planted = {
        view.id
        for view in (story.view(index, DEFAULT_NOW_MS) for index in range(story.count_at(DEFAULT_NOW_MS)))
        if view.stage is None
    }
    bogus = rows(
        db,
        "select record_id from raw.hubspot__contacts "
        "where batch_id = %s and record->'properties'->>'lifecyclestage' = 'bogus_stage'",
        first_run.batch_id,
    )
    assert planted
    assert {record_id for (record_id,) in bogus} == planted


def test_cursor_value_column_is_the_records_updated_at(first_run: StreamReport, db: psycopg.Connection) -> None:
    mismatched = rows(
        db,
        "select record_id from raw.hubspot__contacts "
        "where batch_id = %s and cursor_value is distinct from (record->>'updatedAt')::timestamptz",
        first_run.batch_id,
    )
    assert mismatched == []


def test_first_run_records_a_succeeded_batch_with_its_record_and_page_counts(
    first_run: StreamReport, db: psycopg.Connection, expected: Served
) -> None:
    (batch,) = rows(
        db,
        "select source, stream, status, records, pages, finished_at is not null from raw._batches where batch_id = %s",
        first_run.batch_id,
    )
    assert batch == ("hubspot", "contacts", "succeeded", expected.total, expected.pages, True)
    assert (first_run.records, first_run.pages) == (expected.total, expected.pages)


def test_sync_state_holds_the_latest_updated_at_of_the_active_contacts_read(
    first_run: StreamReport, db: psycopg.Connection, expected: Served
) -> None:
    (state,) = rows(
        db,
        "select to_char(cursor_value at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), last_batch_id "
        "from raw._sync_state where source = 'hubspot' and stream = 'contacts'",
    )
    assert state[0] == expected.latest_active_updated_at  # archived records never move the cursor
    assert state[1] >= first_run.batch_id


def test_second_run_reads_the_lookback_window_with_history_and_every_archived_contact_again(
    first_run: StreamReport, second_run: StreamReport, db: psycopg.Connection, expected: Served, sandbox_url: str
) -> None:
    active = served_records(sandbox_url, {"archived": "false"})
    cursor = parse_instant(expected.latest_active_updated_at)
    window = {
        record_id
        for record_id, record in active.items()
        if parse_instant(record["updatedAt"]) >= cursor - CONTACTS.lookback
    }

    assert second_run.mode == "incremental"
    reread = rows(
        db, "select record_id, is_deleted, record from raw.hubspot__contacts where batch_id = %s", second_run.batch_id
    )
    assert {record_id for record_id, is_deleted, _ in reread if not is_deleted} == window
    assert {record_id for record_id, is_deleted, _ in reread if is_deleted} == expected.archived_ids
    assert all(record == active[record_id] for record_id, is_deleted, record in reread if not is_deleted)
    assert 0 < len(window) < len(expected.active_ids)


def test_second_run_appends_one_batch_and_leaves_the_latest_version_of_each_contact_unchanged(
    first_run: StreamReport, second_run: StreamReport, db: psycopg.Connection, expected: Served
) -> None:
    batches = rows(
        db,
        "select batch_id, status from raw._batches where source = 'hubspot' and stream = 'contacts' order by batch_id",
    )
    assert batches == [(first_run.batch_id, "succeeded"), (second_run.batch_id, "succeeded")]
    (total, distinct, ids) = rows(
        db,
        "select count(*), count(distinct (record_id, cursor_value)), count(distinct record_id) "
        "from raw.hubspot__contacts",
    )[0]
    assert (distinct, ids) == (expected.total, expected.total)  # re-reads add rows, never new versions
    assert total == expected.total + second_run.records
    (state,) = rows(db, "select last_batch_id from raw._sync_state where source = 'hubspot' and stream = 'contacts'")
    assert state == (second_run.batch_id,)
