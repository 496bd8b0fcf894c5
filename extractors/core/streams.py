"""A stream is a declaration: where its records live, how they page, what identifies and orders them.

How a run reads a stream follows from the declaration alone (see `extractors.runner`):

- `parent` set: the ids of the parent stream's active records are posted in chunks (`paginator` is an
  `IdBatchPaginator`), e.g. HubSpot's associations v4 batch read. A run follows only the parents changed
  since the stream's cursor minus `lookback` (the parent's raw rows say which), and reads every parent
  again on a first read, on `--full-refresh` and once the last full read is `parent_full_read_every` old:
  an association edit does not always move a HubSpot record's last-modified time, so only a full read
  catches every one (`None`: a full read every run).
- otherwise a *full read* pages through `path` with `params` (when there is no usable cursor, on
  `--full-refresh`, or always when the stream has no `search`), or an *incremental read* asks `search` for
  what changed since the stored cursor minus `lookback` (or `--since`), re-reading those ids with property
  history through `history_reader` when the stream keeps history.
- `archived_params` set: a second pass with those parameters reads deleted records (`is_deleted = true`).
  It runs every time: archiving does not move a record's last-modified time.
- `catalog` set: the property names are discovered at run start and asked for in every request.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from extractors.core.http import ExtractError, HttpClient
from extractors.core.pagination import IdBatchPaginator, Paginator, SearchPaginator, parse_instant

log = logging.getLogger(__name__)

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,40}")
POSTGRES_MAX_IDENTIFIER = 63  # longer names are silently truncated, so two streams could share a table
# Property names go into query strings and request bodies; HubSpot's internal names look like this.
PROPERTY_NAME = re.compile(r"[a-z][a-z0-9_]{0,99}")


class ShapeError(ValueError):
    """A record breaks its stream's declared shape (it goes to `raw._rejects` with this message)."""


@dataclass(frozen=True)
class Properties:
    """The property names one run asks for: all of them, and those whose history is kept."""

    names: tuple[str, ...]
    with_history: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()  # names that are not plain identifiers, left out of every request


@dataclass(frozen=True)
class PropertyCatalog:
    """Properties discovered at run start from a catalog endpoint (HubSpot: `/crm/v3/properties/{type}`).

    `with_history` lists the properties whose history is wanted; only those the object has are asked for,
    and asking for any history caps a list page at `history_page_size` records.
    """

    path: str
    with_history: tuple[str, ...] = ()
    history_page_size: int = 50

    def discover(self, client: HttpClient) -> Properties:
        body = client.get_json(self.path)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise ExtractError(f"{client.source}: {client.url(self.path)} has no 'results' list of properties")
        found = [str(entry.get("name")) for entry in results if isinstance(entry, dict)]
        return properties_from(found, self.with_history)

    def list_params(self, properties: Properties) -> dict[str, Any]:
        params: dict[str, Any] = {"properties": ",".join(properties.names)}
        if properties.with_history:
            params["propertiesWithHistory"] = ",".join(properties.with_history)
            params["limit"] = self.history_page_size
        return params


def properties_from(found: list[str], with_history: tuple[str, ...]) -> Properties:
    """Keep the names that are plain identifiers (they end up in requests); report the others."""
    names = tuple(sorted({name for name in found if PROPERTY_NAME.fullmatch(name)}))
    refused = tuple(sorted({name for name in found if not PROPERTY_NAME.fullmatch(name)}))
    if refused:
        log.warning("leaving out properties whose names are not plain identifiers: %s", ", ".join(map(repr, refused)))
    return Properties(names, tuple(name for name in with_history if name in names), refused)


def dig(record: Mapping[str, Any], dotted: str) -> Any:
    """`record["from"]["id"]` for `"from.id"`; None when any step is missing."""
    if type(record) is dict and "." not in dotted:  # the common case, once per record per page: keep it cheap
        return record.get(dotted)
    value: Any = record
    for key in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass(frozen=True)
class Stream:
    """One API collection loaded into `raw.<source>__<name>`.

    `primary_key` and `cursor_field` are (dotted) keys of each record; a record without a usable primary key,
    or with a cursor that is not an ISO 8601 timestamp, breaks the declared shape and goes to `raw._rejects`.
    """

    source: str
    name: str
    path: str
    primary_key: str
    cursor_field: str | None
    paginator: Paginator | IdBatchPaginator
    params: Mapping[str, Any] = field(default_factory=dict)
    archived_params: Mapping[str, Any] | None = None
    catalog: PropertyCatalog | None = None
    search: SearchPaginator | None = None
    search_path: str | None = None
    history_reader: IdBatchPaginator | None = None
    history_path: str | None = None
    parent: str | None = None
    parent_full_read_every: datetime.timedelta | None = datetime.timedelta(days=7)
    lookback: datetime.timedelta = datetime.timedelta(minutes=10)

    def __post_init__(self) -> None:
        for part in (self.source, self.name):
            if not _IDENTIFIER.fullmatch(part):
                raise ValueError(
                    f"stream identifier {part!r} must be a lower-case letter, then up to 40 lower-case letters, "
                    "digits and underscores"
                )
        if len(self.table) > POSTGRES_MAX_IDENTIFIER:
            raise ValueError(
                f"stream identifier {self.table!r} is longer than Postgres' {POSTGRES_MAX_IDENTIFIER} characters"
            )

    @property
    def table(self) -> str:
        return f"{self.source}__{self.name}"

    def record_id(self, record: Mapping[str, Any]) -> str | None:
        value = dig(record, self.primary_key)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            return None
        return str(value)

    def cursor_text(self, record: Mapping[str, Any]) -> str | None:
        return None if self.cursor_field is None else dig(record, self.cursor_field)

    def key_and_cursor(self, record: Any) -> tuple[str, datetime.datetime | None]:
        """The record's id and cursor instant (None without a cursor field), read once for the loader.

        Raises `ShapeError` saying why when `record` breaks this stream's declared shape.
        """
        if not isinstance(record, Mapping):
            raise ShapeError(f"not a JSON object but {type(record).__name__}")
        record_id = self.record_id(record)
        if record_id is None:
            raise ShapeError(f"no usable primary key {self.primary_key!r}")
        if self.cursor_field is None:
            return record_id, None
        text = self.cursor_text(record)
        cursor = parse_instant(text)
        if cursor is None:
            raise ShapeError(f"cursor {self.cursor_field!r} is not an ISO 8601 timestamp: {str(text)[:50]!r}")
        return record_id, cursor

    def shape_problem(self, record: Any) -> str | None:
        """Why `record` breaks this stream's declared shape, or None when it fits."""
        try:
            self.key_and_cursor(record)
        except ShapeError as problem:
            return str(problem)
        return None
