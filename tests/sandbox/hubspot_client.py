"""A small HubSpot-speaking test client for sandbox processes, shared by the sandbox tests."""

from __future__ import annotations

from dataclasses import dataclass

import requests

TOKEN = "test-token"
SEED = 7
SCALE = 300


@dataclass(frozen=True)
class Client:
    """A HubSpot-speaking client for one sandbox process."""

    url: str
    session: requests.Session

    def get(self, path: str, token: str | None = TOKEN, **params: object) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.session.get(self.url + path, params=params, headers=headers, timeout=10)

    def post(self, path: str, body: object, token: str | None = TOKEN) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return self.session.post(self.url + path, json=body, headers=headers, timeout=30)

    def contacts(self, **params: object) -> requests.Response:
        return self.get("/crm/v3/objects/contacts", **params)

    def search(self, object_type: str, body: dict) -> requests.Response:
        return self.post(f"/crm/v3/objects/{object_type}/search", body)

    def search_all(self, object_type: str, body: dict) -> list[dict]:
        """Every result of a search, following ``paging.next.after``."""
        records: list[dict] = []
        after = None
        while True:
            response = self.search(object_type, {**body, **({"after": after} if after else {})})
            assert response.status_code == 200, response.text
            page = response.json()
            records += page["results"]
            if "paging" not in page:
                return records
            after = page["paging"]["next"]["after"]

    def associations(self, from_type: str, to_type: str, ids: list[str]) -> dict[str, list[int]]:
        """``from id -> [to ids]`` through the v4 batch read, in batches of 1,000."""
        found: dict[str, list[int]] = {}
        for start in range(0, len(ids), 1000):
            inputs = [{"id": object_id} for object_id in ids[start : start + 1000]]
            response = self.post(f"/crm/v4/associations/{from_type}/{to_type}/batch/read", {"inputs": inputs})
            assert response.status_code == 200, response.text
            for result in response.json()["results"]:
                found[result["from"]["id"]] = [target["toObjectId"] for target in result["to"]]
        return found

    def pages(self, object_type: str = "contacts", **params: object) -> list[dict]:
        """Every page of an object list, following ``paging.next.after`` until it is absent."""
        pages = []
        after = None
        while True:
            response = self.get(f"/crm/v3/objects/{object_type}", **params, **({"after": after} if after else {}))
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            if "paging" not in page:
                return pages
            after = page["paging"]["next"]["after"]

    def walk(self, object_type: str = "contacts", **params: object) -> list[dict]:
        return [record for page in self.pages(object_type, **params) for record in page["results"]]
