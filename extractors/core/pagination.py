"""Paging strategies, one class per style: each turns one endpoint into an iterator of pages of records.

- `AfterCursorPaginator`: GET, `results` plus an opaque `paging.next.after` token (HubSpot lists, owners).
- `SinglePagePaginator`: GET, everything in one `results` list (HubSpot pipelines).
- `SearchPaginator`: POST search sorted ascending on a last-modified property, restarting the query from the
  last cursor value before the API's result cap (HubSpot search, 10,000 results per query).
- `IdBatchPaginator`: POST `{"inputs": [{"id": ...}]}` for a stream of ids, a chunk per request (HubSpot
  batch reads and associations v4).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from extractors.core.http import ExtractError, HttpClient

Record = dict[str, Any]


@dataclass(frozen=True)
class Page:
    number: int
    records: list[Record]
    url: str = ""  # where the page came from, without its query string (for rejects and errors)
    # For pages read in cursor order: every record up to this instant has been read once this page lands.
    checkpoint: datetime.datetime | None = None


class Paginator(Protocol):
    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[Page]: ...


def results_of(body: Any, key: str, client: HttpClient, path: str, number: int) -> list[Record]:
    """The list of records in a response body, or an error naming source, URL and page."""
    records = body.get(key) if isinstance(body, dict) else None
    if not isinstance(records, list):
        raise ExtractError(
            f"{client.source}: page {number} of {client.url(path)} has no {key!r} list; got {str(body)[:200]}"
        )
    return records


@dataclass(frozen=True)
class AfterCursorPaginator:
    """HubSpot-style paging: `results` plus `paging.next.after`, an opaque token; no `paging` on the last page.

    A `limit` in the stream's parameters (e.g. 50 when property history is asked) wins over `page_size`.
    """

    results_key: str = "results"
    page_size: int = 100

    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[Page]:
        query = {"limit": self.page_size, **params}
        number = 0
        while True:
            number += 1
            body = client.get_json(path, query)
            yield Page(number, results_of(body, self.results_key, client, path, number), client.url(path))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            query = {**query, "after": after}


@dataclass(frozen=True)
class SinglePagePaginator:
    """One GET returns the whole collection (HubSpot's pipelines): no paging parameters at all."""

    results_key: str = "results"

    def pages(self, client: HttpClient, path: str, params: Mapping[str, Any]) -> Iterator[Page]:
        body = client.get_json(path, params or None)
        yield Page(1, results_of(body, self.results_key, client, path, 1), client.url(path))


def epoch_ms(instant: datetime.datetime) -> int:
    return int(instant.timestamp() * 1000)


def parse_instant(value: object) -> datetime.datetime | None:
    """An ISO 8601 timestamp (HubSpot's `2026-01-05T03:35:20.605Z`) as an aware datetime; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.UTC)


@dataclass
class _SearchWindow:
    """Where a search query starts (cursor floor) and which ids at exactly that floor were already read."""

    floor_ms: int
    ids_at_floor: set[str] = field(default_factory=set)
    last_ms: int | None = None
    ids_at_last: set[str] = field(default_factory=set)

    def fresh(self, records: list[Record], cursor_property: str) -> list[Record]:
        """The records not read before this restart; remember the newest cursor value and its ids."""
        kept = []
        for record in records:
            instant = parse_instant((record.get("properties") or {}).get(cursor_property))
            record_id = str(record.get("id"))
            if instant is None:  # no cursor: the loader rejects it; it cannot move the window
                kept.append(record)
                continue
            ms = epoch_ms(instant)
            if ms == self.floor_ms and record_id in self.ids_at_floor:
                continue
            if ms != self.last_ms:
                self.last_ms, self.ids_at_last = ms, set()
            self.ids_at_last.add(record_id)
            kept.append(record)
        return kept

    def restart(self) -> None:
        if self.last_ms is None or (self.last_ms == self.floor_ms and self.ids_at_last <= self.ids_at_floor):
            raise ExtractError(
                "search made no progress before its result cap: more records than the cap share one cursor value"
            )
        if self.last_ms == self.floor_ms:
            self.ids_at_floor |= self.ids_at_last
        else:
            self.floor_ms, self.ids_at_floor = self.last_ms, set(self.ids_at_last)


@dataclass(frozen=True)
class SearchPaginator:
    """HubSpot search on a last-modified property: `GTE since`, ascending, restarted before the result cap.

    HubSpot answers at most `result_cap` (10,000) results per query and a 400 past that, so before reaching
    it the query starts again from the newest cursor value read (GTE), skipping the ids already read at
    exactly that value. Pages come in cursor order, so each page's newest cursor is safe to store.
    """

    cursor_property: str
    page_size: int = 200
    result_cap: int = 10_000

    def pages(
        self, client: HttpClient, path: str, since: datetime.datetime, properties: Sequence[str]
    ) -> Iterator[Page]:
        window = _SearchWindow(floor_ms=epoch_ms(since))
        offset = number = 0
        while True:
            number += 1
            limit = min(self.page_size, self.result_cap - offset)
            body = client.post_json(path, self._query(window.floor_ms, properties, limit, offset))
            records = results_of(body, "results", client, path, number)
            fresh = window.fresh(records, self.cursor_property)
            yield Page(number, fresh, client.url(path), checkpoint=self._newest(records))
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after or not records:
                return
            offset += len(records)
            if offset >= self.result_cap:
                window.restart()
                offset = 0

    def _newest(self, records: list[Record]) -> datetime.datetime | None:
        instants = [parse_instant((record.get("properties") or {}).get(self.cursor_property)) for record in records]
        return max(filter(None, instants), default=None)

    def _query(self, floor_ms: int, properties: Sequence[str], limit: int, offset: int) -> dict[str, Any]:
        query: dict[str, Any] = {
            "filterGroups": [
                {"filters": [{"propertyName": self.cursor_property, "operator": "GTE", "value": str(floor_ms)}]}
            ],
            "sorts": [{"propertyName": self.cursor_property, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": limit,
        }
        if offset:
            query["after"] = str(offset)
        return query


@dataclass(frozen=True)
class IdBatchPaginator:
    """POST `{"inputs": [{"id": ...}], **extra}` for `chunk` ids at a time; each answer's `results` is a page.

    HubSpot answers 207 (with `errors`) when some ids no longer exist; their results are simply absent.
    """

    chunk: int = 1000

    def pages(
        self, client: HttpClient, path: str, ids: Iterable[str], extra: Mapping[str, Any] | None = None
    ) -> Iterator[Page]:
        pending = iter(ids)
        number = 0
        while chunk := list(islice(pending, self.chunk)):
            number += 1
            body = client.post_json(path, {"inputs": [{"id": object_id} for object_id in chunk], **(extra or {})})
            yield Page(number, results_of(body, "results", client, path, number), client.url(path))
