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

    def contacts(self, **params: object) -> requests.Response:
        return self.get("/crm/v3/objects/contacts", **params)

    def pages(self, **params: object) -> list[dict]:
        """Every page of the contacts list, following ``paging.next.after`` until it is absent."""
        pages = []
        after = None
        while True:
            response = self.contacts(**params, **({"after": after} if after else {}))
            assert response.status_code == 200, response.text
            page = response.json()
            pages.append(page)
            if "paging" not in page:
                return pages
            after = page["paging"]["next"]["after"]

    def walk(self, **params: object) -> list[dict]:
        return [record for page in self.pages(**params) for record in page["results"]]
