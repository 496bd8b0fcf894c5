"""Every HubSpot stream, run once against the reference sandbox: what lands in each raw table, and its shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from extractors.runner import StreamReport, run_source
from tests.extractors.hubspot_sandbox import TOKEN, Served, point_settings_at

ENGAGEMENTS = ("calls", "emails", "meetings")


@pytest.fixture(scope="module")
def reports(warehouse_url: str, sandbox_url: str) -> dict[str, StreamReport]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        point_settings_at(monkeypatch, warehouse_url, sandbox_url)
        return {report.stream: report for report in run_source("hubspot")}


@pytest.fixture(scope="module")
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


def served(sandbox_url: str, path: str, **params: str) -> list[dict[str, Any]]:
    """Everything a list endpoint serves, read with plain requests."""
    records: list[dict[str, Any]] = []
    query: dict[str, Any] = {**params, "limit": 100}
    while True:
        response = requests.get(
            f"{sandbox_url}{path}", params=query, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        response.raise_for_status()
        body = response.json()
        records += body["results"]
        if "paging" not in body:
            return records
        query["after"] = body["paging"]["next"]["after"]


def latest(db: psycopg.Connection, table: str) -> dict[str, dict[str, Any]]:
    rows = db.execute(f"select record_id, record from raw.{table} order by batch_id").fetchall()
    return dict(rows)


@pytest.mark.parametrize("object_type", ["companies", "deals", *ENGAGEMENTS])
def test_each_record_stream_loads_every_served_record_once_with_every_property(
    reports: dict[str, StreamReport], db: psycopg.Connection, sandbox_url: str, object_type: str
) -> None:
    ids = {record["id"] for record in served(sandbox_url, f"/crm/v3/objects/{object_type}")}
    loaded = db.execute(f"select record_id, record from raw.hubspot__{object_type}").fetchall()
    definitions = served(sandbox_url, f"/crm/v3/properties/{object_type}")

    assert ids and sorted(record_id for record_id, _ in loaded) == sorted(ids)
    assert reports[object_type].records == len(ids)
    assert all(set(record["properties"]) == {d["name"] for d in definitions} for _, record in loaded)


def test_custom_properties_are_discovered_like_hubspots_own(db: psycopg.Connection) -> None:
    (company,) = db.execute("select record from raw.hubspot__companies limit 1").fetchone()
    (deal,) = db.execute("select record from raw.hubspot__deals limit 1").fetchone()
    assert "account_tier" in company["properties"]
    assert "product_line" in deal["properties"]


@pytest.mark.parametrize(
    ("object_type", "history"),
    [
        ("deals", {"dealstage", "hubspot_owner_id"}),
        ("calls", {"hubspot_owner_id"}),
        ("companies", None),  # the sandbox's companies have none of the history properties
    ],
)
def test_history_is_kept_for_the_stage_status_and_owner_properties_an_object_has(
    reports: dict[str, StreamReport], db: psycopg.Connection, object_type: str, history: set[str] | None
) -> None:
    records = [record for (record,) in db.execute(f"select record from raw.hubspot__{object_type}").fetchall()]
    if history is None:
        assert all("propertiesWithHistory" not in record for record in records)
        return
    assert all(set(record["propertiesWithHistory"]) == history for record in records)


def test_a_deals_stage_history_is_newest_first_and_ends_at_its_current_stage(db: psycopg.Connection) -> None:
    for (record,) in db.execute("select record from raw.hubspot__deals").fetchall():
        entries = record["propertiesWithHistory"]["dealstage"]
        assert entries[0]["value"] == record["properties"]["dealstage"]
        assert [entry["timestamp"] for entry in entries] == sorted((e["timestamp"] for e in entries), reverse=True)


def test_owners_land_one_row_per_owner_with_their_teams(
    reports: dict[str, StreamReport], db: psycopg.Connection, sandbox_url: str
) -> None:
    owners = latest(db, "hubspot__owners")
    assert owners == {owner["id"]: owner for owner in served(sandbox_url, "/crm/v3/owners")}
    assert all(owner["teams"] and owner["email"] for owner in owners.values())


def test_deal_pipelines_land_one_row_per_pipeline_with_its_stages_inside(
    reports: dict[str, StreamReport], db: psycopg.Connection
) -> None:
    pipelines = latest(db, "hubspot__deal_pipelines")
    assert list(pipelines) == ["default"]
    stages = pipelines["default"]["stages"]
    assert [stage["id"] for stage in stages][:2] == ["appointmentscheduled", "qualifiedtobuy"]
    assert {stage["id"] for stage in stages} >= {"closedwon", "closedlost"}
    assert all(isinstance(stage["metadata"]["probability"], str) for stage in stages)


@pytest.mark.parametrize(
    ("stream", "parent"),
    [
        ("contacts_to_companies", "contacts"),
        ("contacts_to_deals", "contacts"),
        ("deals_to_contacts", "deals"),
        *((f"{engagement}_to_contacts", engagement) for engagement in ENGAGEMENTS),
    ],
)
def test_association_streams_hold_one_row_per_active_parent_record_with_its_to_list(
    reports: dict[str, StreamReport], db: psycopg.Connection, expected: Served, stream: str, parent: str
) -> None:
    associations = latest(db, f"hubspot__{stream}")
    parents = {
        record_id
        for record_id, is_deleted in db.execute(f"select record_id, is_deleted from raw.hubspot__{parent}").fetchall()
        if not is_deleted
    }
    assert set(associations) == parents
    assert all(record["from"]["id"] == record_id for record_id, record in associations.items())
    assert all(isinstance(target["toObjectId"], int) for r in associations.values() for target in r["to"])
    if parent == "contacts":
        assert set(associations) == set(expected.active_ids)


def test_every_contact_belongs_to_one_company_and_every_engagement_touches_one_contact(
    reports: dict[str, StreamReport], db: psycopg.Connection, expected: Served
) -> None:
    companies = latest(db, "hubspot__contacts_to_companies")
    assert all(len(record["to"]) == 1 for record in companies.values())
    for engagement in ENGAGEMENTS:
        touched = latest(db, f"hubspot__{engagement}_to_contacts")
        assert all(len(record["to"]) == 1 for record in touched.values())
        # the sandbox keeps the touches of contacts archived later (HubSpot would too, unless deleted)
        assert {
            str(t["toObjectId"]) for r in touched.values() for t in r["to"]
        } <= expected.active_ids | expected.archived_ids


def test_archived_contacts_have_no_association_rows(
    reports: dict[str, StreamReport], db: psycopg.Connection, expected: Served
) -> None:
    assert not set(latest(db, "hubspot__contacts_to_companies")) & expected.archived_ids


def test_nothing_is_rejected_from_a_well_formed_sandbox(
    reports: dict[str, StreamReport], db: psycopg.Connection
) -> None:
    assert all(report.rejected == 0 for report in reports.values())
    assert db.execute("select count(*) from raw._rejects").fetchone() == (0,)
