"""propertiesWithHistory on contacts: newest first, consistent with the current values and the story's funnel."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sandbox.hubspot_client import Client
from tests.sandbox.test_sandbox_hubspot_contacts import TIMESTAMP, assert_hubspot_error

TRACKED = ("lifecyclestage", "hs_lead_status", "hubspot_owner_id")
LEAD_STATUSES = {
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
}
STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist")


@pytest.fixture(scope="module")
def big(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "12", "--scale", "1500")


@pytest.fixture(scope="module")
def records(big: Client) -> list[dict]:
    return big.walk(
        limit=50,
        properties=",".join(TRACKED) + ",sales_rejection_reason,hs_lifecyclestage_marketingqualifiedlead_date",
        propertiesWithHistory=",".join(TRACKED) + ",no_such_property",
    )


def stages(record: dict) -> list[str]:
    """The lifecycle stages in the order they were entered (oldest first)."""
    return [entry["value"] for entry in reversed(record["propertiesWithHistory"]["lifecyclestage"])]


def test_history_is_served_for_the_asked_properties_only(records: list[dict]) -> None:
    assert len(records) > 1000
    for record in records:
        assert set(record["propertiesWithHistory"]) == set(TRACKED)


def test_history_entries_are_newest_first_and_well_formed(records: list[dict]) -> None:
    for record in records:
        for entries in record["propertiesWithHistory"].values():
            timestamps = [entry["timestamp"] for entry in entries]
            assert timestamps == sorted(timestamps, reverse=True)
            for entry in entries:
                assert TIMESTAMP.fullmatch(entry["timestamp"])
                assert isinstance(entry["value"], str)
                assert entry["sourceType"] in {"FORM", "IMPORT", "CRM_UI", "AUTOMATION_PLATFORM"}
                assert record["createdAt"] <= entry["timestamp"] <= record["updatedAt"]


def test_the_newest_entry_is_the_current_value_and_the_oldest_stage_is_set_at_creation(records: list[dict]) -> None:
    for record in records:
        history = record["propertiesWithHistory"]
        for name in TRACKED:
            current = record["properties"][name]
            assert (history[name][0]["value"] if history[name] else None) == current
        assert history["lifecyclestage"][-1]["timestamp"] == record["createdAt"]
        assert set(stages(record)) <= set(STAGES) | {"other"}
        assert {entry["value"] for entry in history["hs_lead_status"]} <= LEAD_STATUSES


def test_the_stage_date_property_holds_the_latest_entry_into_the_stage(records: list[dict]) -> None:
    for record in records:
        entries = [
            e for e in record["propertiesWithHistory"]["lifecyclestage"] if e["value"] == "marketingqualifiedlead"
        ]
        expected = entries[0]["timestamp"] if entries else None
        assert record["properties"]["hs_lifecyclestage_marketingqualifiedlead_date"] == expected


def test_an_owner_is_assigned_when_sales_gets_the_contact(records: list[dict]) -> None:
    for record in records:
        history = record["propertiesWithHistory"]
        owned = [entry["timestamp"] for entry in history["hubspot_owner_id"]]
        handed = [
            entry["timestamp"]
            for entry in history["lifecyclestage"]
            if entry["value"] in ("marketingqualifiedlead", "opportunity")
        ]
        assert bool(owned) == bool(handed)
        if owned:
            assert len(owned) == 1
            assert owned[0] == min(handed)


def test_the_story_holds_re_mqls_rejections_recycling_and_skipped_stages(records: list[dict]) -> None:
    re_mqls = [r for r in records if stages(r).count("marketingqualifiedlead") > 1]
    skipped = [r for r in records if "opportunity" in stages(r) and "marketingqualifiedlead" not in stages(r)]
    sql_skipped = [
        r for r in records if "opportunity" in stages(r) and "salesqualifiedlead" not in stages(r) and r not in skipped
    ]
    rejected = [r for r in records if r["properties"]["hs_lead_status"] == "UNQUALIFIED"]
    recycled = [
        r for r in records if "BAD_TIMING" in {entry["value"] for entry in r["propertiesWithHistory"]["hs_lead_status"]}
    ]
    assert re_mqls and skipped and sql_skipped and rejected and recycled
    for record in rejected:
        assert record["properties"]["lifecyclestage"] == "lead"
        assert record["properties"]["sales_rejection_reason"]
        assert "marketingqualifiedlead" in stages(record)
    for record in re_mqls:
        statuses = [entry["value"] for entry in reversed(record["propertiesWithHistory"]["hs_lead_status"])]
        assert "BAD_TIMING" in statuses  # only recycled leads come back as MQLs


def test_a_limit_over_fifty_with_history_is_a_validation_error(big: Client) -> None:
    assert_hubspot_error(big.contacts(limit=51, propertiesWithHistory="lifecyclestage"), 400, "VALIDATION_ERROR")
    assert big.contacts(limit=50, propertiesWithHistory="lifecyclestage").status_code == 200
    assert big.contacts(limit=100, properties="lifecyclestage").status_code == 200
