"""``POST /crm/v3/objects/{type}/batch/read`` answers like HubSpot: list-identical records, 207 for missing ids."""

from __future__ import annotations

import pytest
import requests

from sandbox.hubspot import CONTACT_PROPERTIES
from tests.sandbox.hubspot_client import TOKEN, Client
from tests.sandbox.test_sandbox_hubspot_contacts import TIMESTAMP, assert_hubspot_error

OBJECT_TYPES = ("contacts", "companies", "deals", "calls", "emails", "meetings")
HISTORY = {"contacts": "lifecyclestage", "companies": "numberofemployees", "deals": "dealstage"}


def batch_read(client: Client, object_type: str, body: dict, token: str | None = TOKEN) -> requests.Response:
    return client.post(f"/crm/v3/objects/{object_type}/batch/read", body, token=token)


def ids_of(records: list[dict]) -> list[dict]:
    return [{"id": record["id"]} for record in records]


@pytest.mark.parametrize("object_type", OBJECT_TYPES)
def test_batch_read_renders_records_exactly_as_the_list_does(hubspot: Client, object_type: str) -> None:
    history = HISTORY.get(object_type, "hs_object_id")
    listed = hubspot.get(f"/crm/v3/objects/{object_type}", limit=50, propertiesWithHistory=history).json()["results"]
    assert listed, object_type
    body = {"inputs": ids_of(listed), "properties": [], "propertiesWithHistory": [history]}
    response = batch_read(hubspot, object_type, body)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["status"] == "COMPLETE"
    assert TIMESTAMP.fullmatch(page["startedAt"]) and TIMESTAMP.fullmatch(page["completedAt"])
    assert "errors" not in page and "numErrors" not in page
    assert page["results"] == listed


def test_batch_read_selects_properties_like_the_list(hubspot: Client) -> None:
    listed = hubspot.contacts(limit=100, properties="email,lifecyclestage,no_such_property").json()["results"]
    body = {"inputs": ids_of(listed), "properties": ["email", "lifecyclestage", "no_such_property"]}
    assert batch_read(hubspot, "contacts", body).json()["results"] == listed


def test_batch_read_answers_in_input_order_and_once_per_repeated_id(hubspot: Client) -> None:
    listed = hubspot.contacts(limit=5).json()["results"]
    inputs = ids_of(listed[::-1]) + ids_of(listed[:1])
    results = batch_read(hubspot, "contacts", {"inputs": inputs}).json()["results"]
    assert [record["id"] for record in results] == [record["id"] for record in listed[::-1]]


def test_ids_that_do_not_exist_make_a_multi_status_answer_with_the_found_records(hubspot: Client) -> None:
    listed = hubspot.contacts(limit=3).json()["results"]
    inputs = [{"id": "1"}, *ids_of(listed), {"id": "999999999"}]
    response = batch_read(hubspot, "contacts", {"inputs": inputs})
    assert response.status_code == 207
    page = response.json()
    assert page["status"] == "COMPLETE"
    assert page["results"] == listed
    assert page["numErrors"] == 1
    (error,) = page["errors"]
    assert error["status"] == "error" and error["category"] == "OBJECT_NOT_FOUND" and error["message"]
    assert error["context"] == {"ids": ["1", "999999999"]}


def test_archived_contacts_are_missing_unless_archived_is_asked_for(hubspot: Client) -> None:
    archived = hubspot.walk(limit=100, archived="true")
    assert archived
    inputs = ids_of(archived)
    active_read = batch_read(hubspot, "contacts", {"inputs": inputs})
    assert active_read.status_code == 207
    assert active_read.json()["results"] == []
    assert active_read.json()["errors"][0]["context"]["ids"] == [record["id"] for record in archived]
    archived_read = batch_read(hubspot, "contacts", {"inputs": inputs, "archived": True})
    assert archived_read.status_code == 200
    assert archived_read.json()["results"] == archived
    as_query = hubspot.session.post(
        f"{hubspot.url}/crm/v3/objects/contacts/batch/read?archived=true",
        json={"inputs": inputs},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert as_query.json()["results"] == archived


def test_a_batch_holds_up_to_one_hundred_inputs(hubspot: Client) -> None:
    inputs = ids_of(hubspot.contacts(limit=100).json()["results"])
    assert len(batch_read(hubspot, "contacts", {"inputs": inputs}).json()["results"]) == 100
    too_many = {"inputs": [*inputs, {"id": "1"}]}
    assert_hubspot_error(batch_read(hubspot, "contacts", too_many), 400, "VALIDATION_ERROR")


def test_a_batch_with_history_holds_up_to_fifty_inputs(hubspot: Client) -> None:
    inputs = ids_of(hubspot.contacts(limit=51).json()["results"])
    fifty = {"inputs": inputs[:50], "propertiesWithHistory": ["lifecyclestage"]}
    assert batch_read(hubspot, "contacts", fifty).status_code == 200
    fifty_one = {"inputs": inputs, "propertiesWithHistory": ["lifecyclestage"]}
    assert_hubspot_error(batch_read(hubspot, "contacts", fifty_one), 400, "VALIDATION_ERROR")


def test_a_body_without_inputs_is_a_validation_error(hubspot: Client) -> None:
    for body in ({}, {"inputs": "1"}, {"inputs": [{"no": "id"}]}, {"inputs": [], "properties": "email"}):
        assert_hubspot_error(batch_read(hubspot, "contacts", body), 400, "VALIDATION_ERROR")


def test_batch_read_needs_the_token_and_uses_the_rate_budget(hubspot: Client) -> None:
    assert_hubspot_error(batch_read(hubspot, "contacts", {"inputs": []}, token=None), 401, "INVALID_AUTHENTICATION")
    response = batch_read(hubspot, "contacts", {"inputs": []})
    assert response.status_code == 200 and response.json()["results"] == []
    assert "X-HubSpot-RateLimit-Remaining" in response.headers


def test_batch_read_of_an_unknown_object_type_is_not_found(hubspot: Client) -> None:
    assert_hubspot_error(batch_read(hubspot, "unicorns", {"inputs": []}), 404, "OBJECT_NOT_FOUND")


def test_contacts_can_be_read_by_email_and_companies_by_domain(hubspot: Client) -> None:
    contacts = hubspot.contacts(limit=3, properties="email").json()["results"]
    emails = [{"id": record["properties"]["email"]} for record in contacts]
    body = {"inputs": [*emails, {"id": "nobody@example.com"}], "idProperty": "email", "properties": ["email"]}
    response = batch_read(hubspot, "contacts", body)
    assert response.status_code == 207
    assert response.json()["results"] == contacts
    assert response.json()["errors"][0]["context"]["ids"] == ["nobody@example.com"]
    companies = hubspot.get("/crm/v3/objects/companies", limit=2).json()["results"]
    domains = [{"id": record["properties"]["domain"]} for record in companies]
    assert batch_read(hubspot, "companies", {"inputs": domains, "idProperty": "domain"}).json()["results"] == companies


def test_an_id_property_that_is_not_unique_is_a_validation_error(hubspot: Client) -> None:
    body = {"inputs": [{"id": "Anna"}], "idProperty": "firstname"}
    assert_hubspot_error(batch_read(hubspot, "contacts", body), 400, "VALIDATION_ERROR")


def test_every_contact_property_can_be_batch_read(hubspot: Client) -> None:
    listed = hubspot.contacts(limit=20, properties=",".join(CONTACT_PROPERTIES)).json()["results"]
    body = {"inputs": ids_of(listed), "properties": list(CONTACT_PROPERTIES)}
    assert batch_read(hubspot, "contacts", body).json()["results"] == listed
