"""Planted negative deal amounts, lost deals without a reason and schema drift show up in the API, and leave the
ground truth alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sandbox.story import DRIFT_AT, DRIFT_PROPERTY, DRIFT_VALUES, LOST_REASONS
from sandbox.truth import contacts_by_week_and_stage, funnel_by_week_and_channel
from tests.sandbox.hubspot_client import Client
from tests.sandbox.test_sandbox_faults import assert_about

SEED, SCALE = 23, 900
NEGATIVE_RATE, DRIFT_RATE, LOST_REASON_RATE = 0.3, 0.25, 0.5
DEAL_PROPERTIES = "amount,deal_currency_code,dealstage,closedate,hs_lastmodifieddate,product_line"
BEFORE_DRIFT = "2026-03-09T00:00:00Z"


@pytest.fixture(scope="module")
def clean(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", str(SEED), "--scale", str(SCALE))


@pytest.fixture(scope="module")
def faulty(start_sandbox: Callable[..., Client]) -> Client:
    faults = ("--fault", f"negative_deal_amount={NEGATIVE_RATE}", "--fault", f"schema_drift={DRIFT_RATE}",
              "--fault", f"missing_lost_reason={LOST_REASON_RATE}")  # fmt: skip
    return start_sandbox("--seed", str(SEED), "--scale", str(SCALE), *faults)


def by_id(records: list[dict]) -> dict[str, dict]:
    return {record["id"]: record for record in records}


def property_names(client: Client) -> set[str]:
    return {definition["name"] for definition in client.get("/crm/v3/properties/contacts").json()["results"]}


def test_negative_deal_amount_flips_the_sign_of_about_the_requested_share_of_deals(clean, faulty) -> None:
    clean_deals = by_id(clean.walk("deals", limit=100, properties=DEAL_PROPERTIES))
    faulty_deals = by_id(faulty.walk("deals", limit=100, properties=DEAL_PROPERTIES))
    assert clean_deals.keys() == faulty_deals.keys()
    flipped = []
    for deal_id, deal in faulty_deals.items():
        original = clean_deals[deal_id]
        assert {**deal["properties"], "amount": None} == {**original["properties"], "amount": None}
        if deal["properties"]["amount"] != original["properties"]["amount"]:
            assert deal["properties"]["amount"] == "-" + original["properties"]["amount"]
            flipped.append(deal_id)
    assert_about(len(flipped), len(faulty_deals), NEGATIVE_RATE)


def test_missing_lost_reason_drops_the_reason_of_about_the_requested_share_of_lost_deals(clean, faulty) -> None:
    properties = "dealstage,closed_lost_reason,hs_lastmodifieddate"
    clean_deals = by_id(clean.walk("deals", limit=100, properties=properties))
    faulty_deals = by_id(faulty.walk("deals", limit=100, properties=properties))
    lost = [deal_id for deal_id, deal in clean_deals.items() if deal["properties"]["dealstage"] == "closedlost"]
    assert all(clean_deals[deal_id]["properties"]["closed_lost_reason"] in LOST_REASONS for deal_id in lost)
    dropped = [deal_id for deal_id in lost if faulty_deals[deal_id]["properties"]["closed_lost_reason"] is None]
    assert_about(len(dropped), len(lost), LOST_REASON_RATE)
    assert 0 < len(dropped) < len(lost)
    for deal_id, deal in faulty_deals.items():  # nothing else moves: stage, reason where kept, modified date
        if deal_id not in dropped:
            assert deal == clean_deals[deal_id]
        else:
            assert {**deal["properties"], "closed_lost_reason": "x"} == {
                **clean_deals[deal_id]["properties"],
                "closed_lost_reason": "x",
            }


def test_schema_drift_adds_an_unexpected_custom_property_once_its_time_has_come(start_sandbox, faulty) -> None:
    before = start_sandbox("--seed", str(SEED), "--scale", str(SCALE), "--now", BEFORE_DRIFT,
                           "--fault", f"schema_drift={DRIFT_RATE}")  # fmt: skip
    assert DRIFT_PROPERTY not in property_names(before)
    assert all(DRIFT_PROPERTY not in r["properties"] for r in before.walk(limit=100, properties=DRIFT_PROPERTY))
    definitions = faulty.get("/crm/v3/properties/contacts").json()["results"]
    (drift,) = [definition for definition in definitions if definition["name"] == DRIFT_PROPERTY]
    assert drift["type"] == "string" and "hubspotDefined" not in drift


def test_schema_drift_is_never_served_unasked_and_valued_on_about_the_requested_share(clean, faulty) -> None:
    assert all(DRIFT_PROPERTY not in record["properties"] for record in faulty.contacts(limit=100).json()["results"])
    contacts = faulty.walk(limit=50, properties=f"{DRIFT_PROPERTY},lastmodifieddate",
                           propertiesWithHistory=DRIFT_PROPERTY)  # fmt: skip
    valued = [record for record in contacts if record["properties"][DRIFT_PROPERTY] is not None]
    assert_about(len(valued), len(contacts), DRIFT_RATE)
    drift_at = DRIFT_AT.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for record in contacts:
        history = record["propertiesWithHistory"][DRIFT_PROPERTY]
        if record["properties"][DRIFT_PROPERTY] is None:
            assert history == []
            continue
        assert record["properties"][DRIFT_PROPERTY] in DRIFT_VALUES
        (entry,) = history
        assert entry["sourceType"] == "INTEGRATION"
        assert entry["timestamp"] == max(drift_at, record["createdAt"])
        assert record["properties"]["lastmodifieddate"] >= entry["timestamp"]  # a real write moves it
    assert property_names(clean) | {DRIFT_PROPERTY} == property_names(faulty)


def test_the_ground_truth_is_the_same_with_and_without_these_faults() -> None:
    faults = {
        "negative_deal_amount": NEGATIVE_RATE,
        "schema_drift": DRIFT_RATE,
        "missing_lost_reason": LOST_REASON_RATE,
    }
    as_of = "2026-03-30T00:00:00Z"
    assert funnel_by_week_and_channel(SEED, SCALE, as_of, faults) == funnel_by_week_and_channel(SEED, SCALE, as_of)
    assert contacts_by_week_and_stage(SEED, SCALE, as_of, faults) == contacts_by_week_and_stage(SEED, SCALE, as_of)
