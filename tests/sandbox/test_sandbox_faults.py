"""Planted faults change exactly the fields they name, in about the share of contacts asked for."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from sandbox.hubspot import CONTACT_PROPERTIES
from tests.sandbox.hubspot_client import Client

SEED, SCALE = 21, 1200
RATES = {"missing_email": 0.1, "unknown_lifecycle": 0.2, "duplicate_email": 0.15}


def by_id(client: Client, archived: bool = False) -> dict[str, dict]:
    properties = ",".join(CONTACT_PROPERTIES)
    records = client.walk(limit=100, properties=properties, archived=str(archived).lower())
    return {record["id"]: record for record in records}


@pytest.fixture(scope="module")
def servers(start_sandbox: Callable[..., Client]) -> tuple[Client, Client]:
    clean = start_sandbox("--seed", str(SEED), "--scale", str(SCALE))
    faults = [argument for name, rate in RATES.items() for argument in ("--fault", f"{name}={rate}")]
    return clean, start_sandbox("--seed", str(SEED), "--scale", str(SCALE), *faults)


@pytest.fixture(scope="module")
def clean_and_faulty(servers: tuple[Client, Client]) -> tuple[dict[str, dict], dict[str, dict]]:
    """Active contacts of the same story without and with faults, by id."""
    clean, faulty = servers
    return by_id(clean), by_id(faulty)


def assert_about(count: int, total: int, rate: float) -> None:
    """Within four standard deviations of the binomial expectation."""
    assert abs(count - rate * total) <= 4 * math.sqrt(total * rate * (1 - rate)) + 1, (count, total, rate)


def test_faults_touch_no_field_other_than_email_and_lifecyclestage(clean_and_faulty) -> None:
    clean, faulty = clean_and_faulty
    assert clean.keys() == faulty.keys()
    for record_id, record in faulty.items():
        original = clean[record_id]
        assert {key: value for key, value in record.items() if key != "properties"} == {
            key: value for key, value in original.items() if key != "properties"
        }
        changed = {name for name in CONTACT_PROPERTIES if record["properties"][name] != original["properties"][name]}
        assert changed <= {"email", "lifecyclestage"}


def test_missing_email_empties_the_email_of_about_the_requested_share(clean_and_faulty) -> None:
    clean, faulty = clean_and_faulty
    missing = [record_id for record_id, record in faulty.items() if record["properties"]["email"] is None]
    assert all(clean[record_id]["properties"]["email"] for record_id in missing)
    assert_about(len(missing), len(faulty), RATES["missing_email"])


def test_unknown_lifecycle_plants_bogus_stage_in_about_the_requested_share(clean_and_faulty) -> None:
    clean, faulty = clean_and_faulty
    changed = [
        record["properties"]["lifecyclestage"]
        for record_id, record in faulty.items()
        if record["properties"]["lifecyclestage"] != clean[record_id]["properties"]["lifecyclestage"]
    ]
    assert set(changed) == {"bogus_stage"}
    assert_about(len(changed), len(faulty), RATES["unknown_lifecycle"])


def test_duplicate_email_copies_the_email_of_an_earlier_contact(clean_and_faulty, servers) -> None:
    clean, faulty = clean_and_faulty
    everyone = {**clean, **by_id(servers[0], archived=True)}  # the copied contact may be archived by now
    owner_of_email = {record["properties"]["email"]: record_id for record_id, record in everyone.items()}
    assert len(owner_of_email) == len(everyone)  # without the fault, emails are unique
    copied = [
        record_id
        for record_id, record in faulty.items()
        if record["properties"]["email"] not in (None, clean[record_id]["properties"]["email"])
    ]
    for record_id in copied:
        assert int(owner_of_email[faulty[record_id]["properties"]["email"]]) < int(record_id)
    # missing_email wins where both were planted
    assert_about(len(copied), len(faulty), RATES["duplicate_email"] * (1 - RATES["missing_email"]))
