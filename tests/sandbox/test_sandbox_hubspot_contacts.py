"""The HubSpot contacts list behaves like the real CRM v3 API on every point of the API reference sheet."""

from __future__ import annotations

import re
import uuid

import requests

from sandbox.hubspot import CONTACT_PROPERTIES
from sandbox.story import DEFAULT_NOW_MS, Story
from tests.sandbox.hubspot_client import SCALE, SEED, TOKEN, Client

CONTACTS = "/crm/v3/objects/contacts"
DEFAULT_PROPERTIES = {"firstname", "lastname", "email", "createdate", "lastmodifieddate", "hs_object_id"}
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def assert_hubspot_error(response: requests.Response, status: int, category: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    uuid.UUID(body["correlationId"])


def test_health_endpoint_answers_ok_without_credentials(hubspot: Client) -> None:
    response = hubspot.get("/_sandbox/health", token=None)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_missing_token_gets_hubspots_authentication_error(hubspot: Client) -> None:
    response = hubspot.get(CONTACTS, token=None)
    assert_hubspot_error(response, 401, "INVALID_AUTHENTICATION")
    assert response.json()["message"].startswith("Authentication credentials not found.")


def test_wrong_token_gets_hubspots_authentication_error(hubspot: Client) -> None:
    assert_hubspot_error(hubspot.get(CONTACTS, token="not-the-token"), 401, "INVALID_AUTHENTICATION")


def test_a_page_holds_ten_contacts_by_default(hubspot: Client) -> None:
    assert len(hubspot.contacts().json()["results"]) == 10


def test_a_page_holds_up_to_one_hundred_contacts(hubspot: Client) -> None:
    assert len(hubspot.contacts(limit=100).json()["results"]) == 100


def test_a_limit_over_one_hundred_is_a_validation_error(hubspot: Client) -> None:
    assert_hubspot_error(hubspot.contacts(limit=101), 400, "VALIDATION_ERROR")


def test_a_cursor_that_is_not_one_of_ours_is_a_validation_error(hubspot: Client) -> None:
    assert_hubspot_error(hubspot.contacts(after="not base64!"), 400, "VALIDATION_ERROR")


def test_paging_visits_every_contact_once_in_id_order(hubspot: Client) -> None:
    ids = [int(record["id"]) for record in hubspot.walk(limit=7)]
    assert ids == sorted(set(ids))
    assert ids == [int(record["id"]) for record in hubspot.walk(limit=100)]


def test_active_and_archived_lists_together_hold_every_existing_contact(hubspot: Client) -> None:
    active = {record["id"] for record in hubspot.walk(limit=100)}
    archived = {record["id"] for record in hubspot.walk(limit=100, archived="true")}
    assert not active & archived
    assert len(active) + len(archived) == Story(SEED, SCALE).count_at(DEFAULT_NOW_MS)


def test_paging_is_absent_on_the_last_page_only(hubspot: Client) -> None:
    pages = hubspot.pages(limit=30)
    assert len(pages) > 2
    assert all(set(page["paging"]["next"]) == {"after", "link"} for page in pages[:-1])
    assert "paging" not in pages[-1]


def test_the_next_link_fetches_the_next_page(hubspot: Client) -> None:
    first = hubspot.contacts(limit=5, properties="email").json()
    following = hubspot.session.get(
        first["paging"]["next"]["link"], headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).json()
    expected = hubspot.contacts(limit=5, properties="email", after=first["paging"]["next"]["after"]).json()
    assert following == expected
    assert int(following["results"][0]["id"]) > int(first["results"][-1]["id"])


def test_without_properties_the_default_set_is_returned(hubspot: Client) -> None:
    for record in hubspot.contacts(limit=20).json()["results"]:
        assert set(record["properties"]) == DEFAULT_PROPERTIES


def test_requested_properties_are_returned_and_unknown_names_ignored(hubspot: Client) -> None:
    records = hubspot.contacts(limit=20, properties="jobtitle,lifecyclestage,no_such_property").json()["results"]
    for record in records:
        # HubSpot always adds these three to whatever was asked for
        assert set(record["properties"]) == {
            "jobtitle",
            "lifecyclestage",
            "createdate",
            "lastmodifieddate",
            "hs_object_id",
        }


def test_repeated_properties_parameters_are_combined(hubspot: Client) -> None:
    record = hubspot.contacts(limit=1, properties=["jobtitle", "company"]).json()["results"][0]
    assert {"jobtitle", "company"} <= set(record["properties"])


def test_every_property_value_is_a_string_or_null(hubspot: Client) -> None:
    records = hubspot.walk(limit=100, properties=",".join(CONTACT_PROPERTIES))
    values = [value for record in records for value in record["properties"].values()]
    assert len(values) == len(records) * len(CONTACT_PROPERTIES)
    assert all(value is None or isinstance(value, str) for value in values)
    assert any(value is None for value in values)  # e.g. owners of fresh leads, stage dates not reached


def test_records_carry_ids_and_millisecond_timestamps(hubspot: Client) -> None:
    for record in hubspot.contacts(limit=100).json()["results"]:
        assert record["id"] == record["properties"]["hs_object_id"]
        assert record["id"].isdigit()
        assert TIMESTAMP.fullmatch(record["createdAt"])
        assert TIMESTAMP.fullmatch(record["updatedAt"])
        assert record["createdAt"] == record["properties"]["createdate"]
        assert record["updatedAt"] == record["properties"]["lastmodifieddate"]
        assert record["createdAt"] <= record["updatedAt"] <= "2026-03-30T00:00:00.000Z"
        assert record["archived"] is False
        assert "archivedAt" not in record


def test_lifecycle_stages_are_hubspots_internal_values(hubspot: Client) -> None:
    stages = {record["properties"]["lifecyclestage"] for record in hubspot.walk(limit=100, properties="lifecyclestage")}
    assert stages <= {
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    }
    assert {"subscriber", "lead", "marketingqualifiedlead", "opportunity"} <= stages


def test_archived_true_returns_only_archived_contacts(hubspot: Client) -> None:
    records = hubspot.walk(limit=3, archived="true")
    assert records
    for record in records:
        assert record["archived"] is True
        assert TIMESTAMP.fullmatch(record["archivedAt"])
        assert record["archivedAt"] >= record["createdAt"]


def test_unknown_crm_paths_answer_404_with_a_json_error(hubspot: Client) -> None:
    for path in ("/crm/v3/objects/unicorns", "/crm/v3/objects/contacts/101", "/crm/v9/whatever"):
        assert_hubspot_error(hubspot.get(path), 404, "OBJECT_NOT_FOUND")


def test_list_responses_carry_the_rate_limit_headers(hubspot: Client) -> None:
    headers = hubspot.contacts().headers
    assert int(headers["X-HubSpot-RateLimit-Max"]) >= int(headers["X-HubSpot-RateLimit-Remaining"]) >= 0
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
