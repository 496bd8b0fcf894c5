"""The story is a pure function of its seed: two processes with one seed serve the same bytes."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.hubspot import CONTACT_PROPERTIES
from tests.sandbox.hubspot_client import SCALE, SEED, TOKEN, Client

# Paging links carry the Host header; send the same one to both servers so whole bodies are comparable.
SAME_HOST = {"Host": "sandbox.test"}


def raw_pages(client: Client, **params: object) -> list[bytes]:
    bodies = []
    after = None
    while True:
        response = client.session.get(
            client.url + "/crm/v3/objects/contacts",
            params={**params, **({"after": after} if after else {})},
            headers={"Authorization": f"Bearer {TOKEN}", **SAME_HOST},
            timeout=10,
        )
        assert response.status_code == 200
        bodies.append(response.content)
        page = response.json()
        if "paging" not in page:
            return bodies
        after = page["paging"]["next"]["after"]


def test_two_processes_with_the_same_seed_serve_byte_identical_bodies(
    hubspot: Client, start_sandbox: Callable[..., Client]
) -> None:
    twin = start_sandbox("--seed", str(SEED), "--scale", str(SCALE))
    everything = ",".join(CONTACT_PROPERTIES)
    for params in ({"limit": 100, "properties": everything}, {"limit": 13, "archived": "true"}, {}):
        assert raw_pages(hubspot, **params) == raw_pages(twin, **params)


def test_a_different_seed_tells_a_different_story(hubspot: Client, start_sandbox: Callable[..., Client]) -> None:
    other = start_sandbox("--seed", str(SEED + 1), "--scale", str(SCALE))
    everything = ",".join(CONTACT_PROPERTIES)
    ours = hubspot.walk(limit=100, properties=everything)
    theirs = other.walk(limit=100, properties=everything)
    assert [record["properties"] for record in ours[:50]] != [record["properties"] for record in theirs[:50]]
    assert {record["properties"]["email"] for record in ours}.isdisjoint(
        record["properties"]["email"] for record in theirs
    )


def test_every_hubspot_endpoint_is_byte_identical_across_processes(
    hubspot: Client, start_sandbox: Callable[..., Client]
) -> None:
    twin = start_sandbox("--seed", str(SEED), "--scale", str(SCALE))
    headers = {"Authorization": f"Bearer {TOKEN}", **SAME_HOST}
    gets = [
        ("/crm/v3/objects/deals", {"limit": 50, "propertiesWithHistory": "dealstage,amount"}),
        ("/crm/v3/objects/companies", {"limit": 100, "properties": "name,domain,industry,numberofemployees"}),
        ("/crm/v3/objects/calls", {"limit": 100}),
        ("/crm/v3/objects/contacts", {"limit": 50, "propertiesWithHistory": "lifecyclestage,hs_lead_status"}),
        ("/crm/v3/owners", {}),
        ("/crm/v3/pipelines/deals", {}),
        ("/crm/v3/properties/contacts", {}),
    ]
    posts = [
        ("/crm/v3/objects/contacts/search", {"sorts": [{"propertyName": "lastmodifieddate"}], "limit": 200}),
        ("/crm/v4/associations/contacts/companies/batch/read", {"inputs": [{"id": "101"}, {"id": "102"}]}),
        ("/crm/v3/objects/contacts/batch/read", {"inputs": [{"id": "101"}, {"id": "1"}], "properties": ["email"]}),
    ]
    for path, params in gets:
        ours, theirs = (
            c.session.get(c.url + path, params=params, headers=headers, timeout=10) for c in (hubspot, twin)
        )
        assert ours.status_code == 200 and ours.content == theirs.content, path
    for path, body in posts:
        ours, theirs = (c.session.post(c.url + path, json=body, headers=headers, timeout=10) for c in (hubspot, twin))
        assert ours.status_code in (200, 207) and ours.content == theirs.content, path
