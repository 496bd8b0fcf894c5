"""Paging strategies: each turns one endpoint into an iterator of pages of records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from extractors.core.http import ExtractError, HttpClient


@dataclass(frozen=True)
class Page:
    number: int
    records: list[dict[str, Any]]


class Paginator(Protocol):
    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[Page]: ...


@dataclass(frozen=True)
class AfterCursorPaginator:
    """HubSpot-style paging: `results` plus `paging.next.after`, an opaque token; no `paging` on the last page."""

    results_key: str = "results"
    page_size: int = 100

    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[Page]:
        query = {**params, "limit": self.page_size}
        number = 0
        while True:
            number += 1
            body = client.get_json(path, query)
            records = body.get(self.results_key) if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise ExtractError(
                    f"{client.source}: page {number} of {path} has no {self.results_key!r} list; got {str(body)[:200]}"
                )
            yield Page(number=number, records=records)
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            query = {**query, "after": after}
