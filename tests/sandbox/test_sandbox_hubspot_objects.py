"""Companies, deals, engagements, owners, pipelines, properties, associations v4 and merges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sandbox.story import LOST_REASONS
from tests.sandbox.hubspot_client import Client
from tests.sandbox.test_sandbox_hubspot_contacts import TIMESTAMP, assert_hubspot_error

ENGAGEMENTS = ("calls", "emails", "meetings")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def crm(start_sandbox: Callable[..., Client]) -> Client:
    return start_sandbox("--seed", "5", "--scale", "1200")


@pytest.fixture(scope="module")
def contacts(crm: Client) -> list[dict]:
    return crm.walk(limit=50, properties="hubspot_owner_id,lifecyclestage,hs_merged_object_ids",
                    propertiesWithHistory="lifecyclestage")  # fmt: skip


@pytest.fixture(scope="module")
def deals(crm: Client) -> list[dict]:
    properties = "amount,deal_currency_code,dealstage,pipeline,closedate,hs_is_closed_won,hs_lastmodifieddate"
    return crm.walk("deals", limit=50, properties=properties, propertiesWithHistory="dealstage")


def test_every_object_list_pages_in_id_order_with_string_values(crm: Client) -> None:
    for object_type in ("companies", "deals", *ENGAGEMENTS):
        pages = crm.pages(object_type, limit=20)
        records = [record for page in pages for record in page["results"]]
        assert len(pages) > 1, object_type
        assert "paging" not in pages[-1]
        ids = [int(record["id"]) for record in records]
        assert ids == sorted(set(ids)), object_type
        for record in records:
            assert record["id"] == record["properties"]["hs_object_id"]
            assert all(value is None or isinstance(value, str) for value in record["properties"].values())
            assert TIMESTAMP.fullmatch(record["createdAt"]) and record["createdAt"] <= record["updatedAt"]
        assert crm.walk(object_type, limit=100, archived="true") == []


def test_companies_have_industry_size_and_a_unique_domain(crm: Client) -> None:
    companies = crm.walk("companies", limit=100, properties="name,domain,industry,numberofemployees,account_tier")
    assert len({company["properties"]["domain"] for company in companies}) == len(companies)
    for company in companies:
        assert company["properties"]["industry"].isupper()
        assert int(company["properties"]["numberofemployees"]) >= 2
        assert company["properties"]["account_tier"] in {"A", "B", "C"}


def test_deals_carry_amounts_as_strings_in_several_currencies(deals: list[dict]) -> None:
    assert len(deals) > 20
    assert {deal["properties"]["deal_currency_code"] for deal in deals} == {"USD", "EUR", "GBP"}
    for deal in deals:
        properties = deal["properties"]
        assert properties["amount"].isdigit()
        assert properties["pipeline"] == "default"
        assert properties["hs_is_closed_won"] == str(properties["dealstage"] == "closedwon").lower()
        history = deal["propertiesWithHistory"]["dealstage"]
        assert history[0]["value"] == properties["dealstage"]
        assert history[-1]["value"] == "appointmentscheduled"
        assert history[-1]["timestamp"] == deal["createdAt"]
        assert [entry["timestamp"] for entry in history] == sorted((e["timestamp"] for e in history), reverse=True)
        assert history[0]["timestamp"] == properties["hs_lastmodifieddate"]


def test_closedate_is_midnight_in_the_portal_time_zone(deals: list[dict]) -> None:
    for deal in deals:
        local = datetime.fromisoformat(deal["properties"]["closedate"].replace("Z", "+00:00")).astimezone(NEW_YORK)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)


def test_won_and_lost_deals_move_their_contact(crm: Client, contacts: list[dict], deals: list[dict]) -> None:
    stage_of = {record["id"]: record["properties"]["lifecyclestage"] for record in contacts}
    owners = crm.associations("deals", "contacts", [deal["id"] for deal in deals])
    outcomes = set()
    for deal in deals:
        (contact_id,) = owners[deal["id"]]
        stage = stage_of.get(str(contact_id))
        if stage is None:
            continue  # the contact was archived or merged away
        outcomes.add(deal["properties"]["dealstage"])
        if deal["properties"]["dealstage"] == "closedwon":
            assert stage in ("customer", "evangelist")
        else:
            assert stage == "opportunity"
    assert {"closedwon", "closedlost"} <= outcomes


def test_every_lost_deal_carries_an_agreed_closed_lost_reason_written_at_its_close(crm: Client) -> None:
    deals = crm.walk("deals", limit=50, properties="dealstage,closed_lost_reason",
                     propertiesWithHistory="closed_lost_reason,dealstage")  # fmt: skip
    lost = [deal for deal in deals if deal["properties"]["dealstage"] == "closedlost"]
    assert len(lost) > 5
    for deal in lost:
        reason = deal["properties"]["closed_lost_reason"]
        assert reason in LOST_REASONS
        (entry,) = deal["propertiesWithHistory"]["closed_lost_reason"]
        assert (entry["value"], entry["timestamp"]) == (
            reason,
            deal["propertiesWithHistory"]["dealstage"][0]["timestamp"],
        )
    for deal in deals:
        if deal["properties"]["dealstage"] != "closedlost":
            assert deal["properties"]["closed_lost_reason"] is None
            assert deal["propertiesWithHistory"]["closed_lost_reason"] == []
    assert len({deal["properties"]["closed_lost_reason"] for deal in lost}) > 2  # drawn, not one constant
    (definition,) = [
        d for d in crm.get("/crm/v3/properties/deals").json()["results"] if d["name"] == "closed_lost_reason"
    ]
    assert (definition["type"], definition["hubspotDefined"]) == ("string", True)  # HubSpot's own, free text


def test_owners_page_and_own_every_owned_contact(crm: Client, contacts: list[dict]) -> None:
    pages, after = [], None
    while True:
        page = crm.get("/crm/v3/owners", limit=2, **({"after": after} if after else {})).json()
        pages.append(page)
        if "paging" not in page:
            break
        after = page["paging"]["next"]["after"]
    owners = [owner for page in pages for owner in page["results"]]
    assert len(pages) == 3 and len(owners) == 6
    assert all(owner["email"] and owner["firstName"] and owner["archived"] is False for owner in owners)
    owned = {record["properties"]["hubspot_owner_id"] for record in contacts} - {None}
    assert owned and owned <= {owner["id"] for owner in owners}
    assert_hubspot_error(crm.get("/crm/v3/owners", limit=501), 400, "VALIDATION_ERROR")


def test_the_deal_pipeline_lists_every_served_stage(crm: Client, deals: list[dict]) -> None:
    (pipeline,) = crm.get("/crm/v3/pipelines/deals").json()["results"]
    assert pipeline["id"] == "default"
    stage_ids = [stage["id"] for stage in pipeline["stages"]]
    assert {deal["properties"]["dealstage"] for deal in deals} <= set(stage_ids)
    closed = {stage["id"] for stage in pipeline["stages"] if stage["metadata"]["isClosed"] == "true"}
    assert closed == {"closedwon", "closedlost"}
    assert all(0 <= float(stage["metadata"]["probability"]) <= 1 for stage in pipeline["stages"])
    assert_hubspot_error(crm.get("/crm/v3/pipelines/tickets"), 404, "OBJECT_NOT_FOUND")


def test_properties_describe_every_served_property_including_custom_ones(crm: Client) -> None:
    for object_type in ("contacts", "companies", "deals", *ENGAGEMENTS):
        definitions = crm.get(f"/crm/v3/properties/{object_type}").json()["results"]
        names = {definition["name"] for definition in definitions}
        everything = ",".join(names)
        record = crm.get(f"/crm/v3/objects/{object_type}", limit=1, properties=everything).json()["results"][0]
        assert set(record["properties"]) == names, object_type
        for definition in definitions:
            assert {"name", "label", "type", "fieldType", "options", "calculated"} <= set(definition)
    custom = {
        definition["name"]
        for object_type in ("contacts", "companies", "deals")
        for definition in crm.get(f"/crm/v3/properties/{object_type}").json()["results"]
        if not definition.get("hubspotDefined")
    }
    utm = {"utm_source", "utm_medium", "utm_campaign", "utm_content"}  # the forms' hidden fields
    assert custom == {"sales_rejection_reason", "account_tier", "product_line", *utm}
    assert_hubspot_error(crm.get("/crm/v3/properties/unicorns"), 404, "OBJECT_NOT_FOUND")


def test_associations_v4_batch_read_has_hubspots_shape(crm: Client, contacts: list[dict]) -> None:
    ids = [record["id"] for record in contacts[:20]]
    response = crm.post("/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": i} for i in ids]})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE"
    assert [result["from"]["id"] for result in body["results"]] == ids
    companies = {company["id"] for company in crm.walk("companies", limit=100)}
    for result in body["results"]:
        (target,) = result["to"]
        assert isinstance(target["toObjectId"], int) and str(target["toObjectId"]) in companies
        assert {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"} in target["associationTypes"]


def test_associations_report_unknown_ids_and_refuse_bad_requests(crm: Client, contacts: list[dict]) -> None:
    inputs = [{"id": contacts[0]["id"]}, {"id": "99999999999"}]
    response = crm.post("/crm/v4/associations/contacts/deals/batch/read", {"inputs": inputs})
    assert response.status_code == 207
    body = response.json()
    assert body["numErrors"] == 1 and body["errors"][0]["category"] == "OBJECT_NOT_FOUND"
    assert [result["from"]["id"] for result in body["results"]] == [contacts[0]["id"]]
    too_many = {"inputs": [{"id": str(n)} for n in range(1001)]}
    assert_hubspot_error(crm.post("/crm/v4/associations/contacts/deals/batch/read", too_many), 400, "VALIDATION_ERROR")
    assert_hubspot_error(crm.post("/crm/v4/associations/contacts/deals/batch/read", {"x": 1}), 400, "VALIDATION_ERROR")
    unknown = crm.post("/crm/v4/associations/contacts/unicorns/batch/read", {"inputs": []})
    assert_hubspot_error(unknown, 404, "OBJECT_NOT_FOUND")


def test_first_touches_follow_each_mql_and_some_breach_the_sla(crm: Client, contacts: list[dict]) -> None:
    touches: dict[int, list[str]] = {}
    for kind in ENGAGEMENTS:
        engagements = crm.walk(kind, limit=100, properties="hs_timestamp,hubspot_owner_id")
        assert engagements, kind
        contact_of = crm.associations(kind, "contacts", [engagement["id"] for engagement in engagements])
        for engagement in engagements:
            (contact_id,) = contact_of[engagement["id"]]
            touches.setdefault(contact_id, []).append(engagement["properties"]["hs_timestamp"])
    lags, breaches = [], 0
    for record in contacts:
        entries = [e["timestamp"] for e in record["propertiesWithHistory"]["lifecyclestage"]
                   if e["value"] == "marketingqualifiedlead"]  # fmt: skip
        mine = sorted(touches.get(int(record["id"]), []))
        for mql in entries:
            later = [stamp for stamp in mine if stamp >= mql]
            if later:
                lag = (datetime.fromisoformat(later[0][:-1]) - datetime.fromisoformat(mql[:-1])).total_seconds()
                lags.append(lag)
                breaches += lag > 24 * 3600
        if mine:
            assert entries and min(mine) > min(entries)  # sales touches only MQLs
    assert lags and 0 < breaches < len(lags) / 2


def test_merged_contacts_are_archived_and_named_by_the_survivor(crm: Client, contacts: list[dict]) -> None:
    survivors = [record for record in contacts if record["properties"]["hs_merged_object_ids"]]
    archived = {record["id"]: record for record in crm.walk(limit=100, archived="true")}
    assert survivors
    for survivor in survivors:
        for merged_id in survivor["properties"]["hs_merged_object_ids"].split(";"):
            merged = archived[merged_id]
            assert merged["archivedAt"] <= survivor["updatedAt"]
            assert merged_id not in {record["id"] for record in contacts}


def test_unimplemented_object_types_are_404s_not_empty_lists(crm: Client) -> None:
    for path in ("/crm/v3/objects/tasks", "/crm/v3/objects/notes", "/crm/v3/objects/deals/1/extra"):
        assert_hubspot_error(crm.get(path), 404, "OBJECT_NOT_FOUND")


def test_the_list_associations_parameter_agrees_with_the_v4_batch_read(crm: Client) -> None:
    records = crm.contacts(limit=50, associations="companies,deals,no_such_type").json()["results"]
    companies = crm.associations("contacts", "companies", [record["id"] for record in records])
    deals = crm.associations("contacts", "deals", [record["id"] for record in records])
    for record in records:
        listed = record["associations"]
        assert set(listed) <= {"companies", "deals"}
        assert {entry["type"] for entry in listed["companies"]["results"]} == {
            "contact_to_company",
            "contact_to_company_unlabeled",
        }
        assert {int(entry["id"]) for entry in listed["companies"]["results"]} == set(companies[record["id"]])
        listed_deals = {int(entry["id"]) for entry in listed.get("deals", {"results": []})["results"]}
        assert listed_deals == set(deals[record["id"]])
    assert any("deals" in record["associations"] for record in records)
    assert all("associations" not in record for record in crm.contacts(limit=5).json()["results"])
