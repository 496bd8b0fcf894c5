"""The raw loader against a bare psycopg COPY of the same rows into the same kind of table, side by side.

Run: `.venv/bin/python bench/loader_copy.py [records]` (default 100,000 HubSpot-like contact records, pages of
100). Prints each path's records/s and the ratio loader / bare COPY (issue target: at least 0.8). Uses
WAREHOUSE_URL or the embedded Postgres (a scratch database, dropped afterwards).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator

import psycopg

from extractors.core.load import RawLoader
from extractors.core.pagination import AfterCursorPaginator, Page
from extractors.core.streams import Stream
from warehouse import services

PAGE_SIZE = 100
STREAM = Stream(
    source="bench",
    name="contacts",
    path="/crm/v3/objects/contacts",
    primary_key="id",
    cursor_field="updatedAt",
    paginator=AfterCursorPaginator(),
)


def records(count: int) -> Iterator[dict[str, object]]:
    """Contact records shaped like HubSpot's (~340 bytes of JSON each, every property a string)."""
    for index in range(count):
        stamp = f"2026-03-{1 + index % 28:02d}T12:{index % 60:02d}:00.000Z"
        yield {
            "id": str(1000 + index),
            "properties": {
                "email": f"person{index}@example{index % 97}.io",
                "firstname": "Ada",
                "lastname": f"Lovelace{index}",
                "lifecyclestage": "lead",
                "hs_analytics_source": "ORGANIC_SEARCH",
                "hubspotscore": str(index % 100),
                "createdate": stamp,
                "lastmodifieddate": stamp,
            },
            "createdAt": stamp,
            "updatedAt": stamp,
            "archived": False,
        }


def pages(count: int) -> list[Page]:
    rows = list(records(count))
    return [
        Page(number=n, records=rows[start : start + PAGE_SIZE]) for n, start in enumerate(range(0, count, PAGE_SIZE))
    ]


def bare_copy(conn: psycopg.Connection, all_pages: list[Page]) -> float:
    conn.execute(
        "create table raw.bare_copy (record_id text not null, cursor_value timestamptz, record jsonb not null, "
        "is_deleted boolean not null default false, batch_id bigint not null, "
        "extracted_at timestamptz not null default clock_timestamp())"
    )
    started = time.perf_counter()
    for page in all_pages:
        with (
            conn.transaction(),
            conn.cursor() as cur,
            cur.copy("copy raw.bare_copy (record_id, cursor_value, record, is_deleted, batch_id) from stdin") as copy,
        ):
            for record in page.records:
                copy.write_row((record["id"], record["updatedAt"], json.dumps(record), False, 1))
    return time.perf_counter() - started


def loader(conn: psycopg.Connection, all_pages: list[Page]) -> float:
    raw_loader = RawLoader(conn, STREAM, "http://bench.invalid")
    raw_loader.ensure_tables()
    batch_id = raw_loader.start_batch()
    started = time.perf_counter()
    for page in all_pages:
        raw_loader.write_page(batch_id, page, is_deleted=False)
    elapsed = time.perf_counter() - started
    raw_loader.finish_batch(batch_id, "succeeded")
    return elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    server = services.ensure_warehouse()
    base, _, _ = server.rpartition("/")
    database = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{database}"')
    try:
        with psycopg.connect(f"{base}/{database}", autocommit=True) as conn:
            conn.execute("create schema raw")
            all_pages = pages(count)
            bare = bare_copy(conn, all_pages)
            ours = loader(conn, all_pages)
            loaded = conn.execute("select count(*) from raw.bench__contacts").fetchone()[0]
        assert loaded == count, (loaded, count)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{database}" with (force)')
    print(f"{count} records in pages of {PAGE_SIZE}, one transaction per page on both paths")
    print(f"bare psycopg COPY: {count / bare:>10,.0f} records/s")
    print(f"RawLoader        : {count / ours:>10,.0f} records/s (rows + batch counters + sync state per page)")
    print(f"ratio loader / bare COPY = {bare / ours:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
