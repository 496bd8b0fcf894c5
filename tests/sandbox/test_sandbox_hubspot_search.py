"""POST /crm/v3/objects/{type}/search: epoch-ms filters, one sort, limit 200, the 10,000-result cap, SECONDLY."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import pytest

from tests.sandbox.hubspot_client import Client
from tests.sandbox.test_sandbox_hubspot_contacts import assert_hubspot_error


def epoch_ms(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def modified_since(property_name: str, value: int, operator: str = "GTE") -> dict:
    return {"filterGroups": [{"filters": [{"propertyName": property_name, "operator": operator, "value": str(value)}]}]}


@pytest.fixture(scope="module")
def active(hubspot: Client) -> list[dict]:
    return hubspot.walk(limit=100)


@pytest.fixture(scope="module")
def middle(active: list[dict]) -> int:
    """A lastmodifieddate that splits the active contacts roughly in two."""
    return sorted(epoch_ms(record["updatedAt"]) for record in active)[len(active) // 2]


def test_a_date_filter_returns_exactly_the_matching_active_contacts(hubspot: Client, active, middle) -> None:
    for operator, keep in (
        ("GTE", lambda ms: ms >= middle),
        ("GT", lambda ms: ms > middle),
        ("LT", lambda ms: ms < middle),
        ("LTE", lambda ms: ms <= middle),
        ("EQ", lambda ms: ms == middle),
    ):
        body = {**modified_since("lastmodifieddate", middle, operator), "limit": 200}
        found = hubspot.search_all("contacts", body)
        expected = {record["id"] for record in active if keep(epoch_ms(record["updatedAt"]))}
        assert {record["id"] for record in found} == expected, operator
        assert hubspot.search("contacts", body).json()["total"] == len(expected)


def test_results_follow_the_one_sort_and_pages_join_up(hubspot: Client, middle) -> None:
    body = {
        **modified_since("lastmodifieddate", middle - 20 * 86_400_000),
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
        "properties": ["lifecyclestage"],
        "limit": 7,
    }
    records = hubspot.search_all("contacts", body)
    stamps = [epoch_ms(record["properties"]["lastmodifieddate"]) for record in records]
    assert stamps == sorted(stamps, reverse=True)
    assert len({record["id"] for record in records}) == len(records) == hubspot.search("contacts", body).json()["total"]
    assert set(records[0]["properties"]) == {"lifecyclestage", "createdate", "lastmodifieddate", "hs_object_id"}


def test_without_filters_every_active_contact_is_found_and_archived_ones_never(hubspot: Client, active) -> None:
    found = hubspot.search_all("contacts", {"limit": 200})
    assert [record["id"] for record in found] == [record["id"] for record in active]  # default order: by id
    archived = {record["id"] for record in hubspot.walk(archived="true")}
    assert archived and archived.isdisjoint(record["id"] for record in found)


def test_an_id_floor_restarts_a_query(hubspot: Client, active) -> None:
    floor = int(active[100]["id"])
    found = hubspot.search_all("contacts", {**modified_since("hs_object_id", floor, "GT"), "limit": 200})
    assert [record["id"] for record in found] == [record["id"] for record in active[101:]]


def test_filter_groups_are_ored_and_filters_anded(hubspot: Client, active, middle) -> None:
    low = {"propertyName": "lastmodifieddate", "operator": "LT", "value": str(middle - 86_400_000)}
    high = {"propertyName": "lastmodifieddate", "operator": "GT", "value": str(middle + 86_400_000)}
    body = {"filterGroups": [{"filters": [low]}, {"filters": [high]}], "limit": 200}
    found = {record["id"] for record in hubspot.search_all("contacts", body)}
    expected = {record["id"] for record in active if abs(epoch_ms(record["updatedAt"]) - middle) > 86_400_000}
    assert found == expected
    both = {"filterGroups": [{"filters": [low, high]}]}
    assert hubspot.search("contacts", both).json() == {"total": 0, "results": []}


def test_other_objects_use_hs_lastmodifieddate(hubspot: Client) -> None:
    deals = hubspot.walk("deals", limit=100)
    cut = sorted(epoch_ms(deal["updatedAt"]) for deal in deals)[len(deals) // 2]
    found = hubspot.search_all("deals", {**modified_since("hs_lastmodifieddate", cut), "limit": 200})
    assert {deal["id"] for deal in found} == {deal["id"] for deal in deals if epoch_ms(deal["updatedAt"]) >= cut}
    assert_hubspot_error(hubspot.search("deals", modified_since("lastmodifieddate", cut)), 400, "VALIDATION_ERROR")
    companies = hubspot.search("companies", {"limit": 1}).json()
    assert companies["total"] == len(hubspot.walk("companies", limit=100))


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 201},
        {"limit": 0},
        {"sorts": [{"propertyName": "lastmodifieddate"}, {"propertyName": "createdate"}]},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": "yesterday"}]}
            ]
        },
        {
            "filterGroups": [
                {"filters": [{"propertyName": "lastmodifieddate", "operator": "SOUNDS_LIKE", "value": "1"}]}
            ]
        },
        {"after": "not a number"},
    ],
)
def test_bad_search_bodies_are_validation_errors(hubspot: Client, body: dict) -> None:
    assert_hubspot_error(hubspot.search("contacts", body), 400, "VALIDATION_ERROR")


def test_search_on_an_unknown_object_type_is_a_404(hubspot: Client) -> None:
    assert_hubspot_error(hubspot.search("unicorns", {}), 404, "OBJECT_NOT_FOUND")


def test_search_needs_the_token(hubspot: Client) -> None:
    response = hubspot.session.post(hubspot.url + "/crm/v3/objects/contacts/search", json={}, timeout=10)
    assert_hubspot_error(response, 401, "INVALID_AUTHENTICATION")


def test_search_responses_carry_no_rate_limit_headers(hubspot: Client) -> None:
    assert not [name for name in hubspot.search("contacts", {}).headers if name.lower().startswith("x-hubspot")]


@pytest.fixture(scope="module")
def large(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "2", "--scale", "11000")


def test_paging_past_ten_thousand_results_is_an_http_400(large: Client) -> None:
    last_page = large.search("contacts", {"limit": 200, "after": "9900"})
    assert last_page.status_code == 200
    body = last_page.json()
    assert body["total"] > 10_000
    assert len(body["results"]) == 100  # the cap cuts the page
    assert body["paging"]["next"]["after"] == "10000"
    beyond = large.search("contacts", {"limit": 10, "after": body["paging"]["next"]["after"]})
    assert_hubspot_error(beyond, 400, "VALIDATION_ERROR")
    assert "10000" in beyond.json()["message"]


@pytest.fixture(scope="module")
def limited(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "1", "--scale", "50", "--rate-limit", "100")


def test_search_has_its_own_secondly_limit(limited: Client) -> None:
    responses = [limited.search("contacts", {"limit": 1}) for _ in range(8)]
    statuses = [response.status_code for response in responses]
    assert statuses[:5] == [200] * 5
    assert 429 in statuses[5:]
    for response in responses:
        if response.status_code == 429:
            body = response.json()
            assert body["policyName"] == "SECONDLY"
            assert body["errorType"] == "RATE_LIMIT"
            uuid.UUID(body["correlationId"])
    assert limited.contacts(limit=1).status_code == 200  # the ten-secondly budget is separate
