"""The raw loader against a bare psycopg COPY of the same rows into the same kind of table, side by side.

Run: `.venv/bin/python bench/loader_copy.py [--records 100000] [--rounds 5]` (HubSpot-like contact records,
pages of 100, one transaction per page on every path). Three paths load the same pages into fresh tables of
the raw shape, in rounds, each round in a different order (the machine is shared and noisy):

- bare COPY: `copy.write_row` per record with `json.dumps`, what a plain psycopg script does; the issue's
  baseline (target: RawLoader at least 0.8x its records/s);
- bare COPY, msgspec block: the same COPY with the loader's encoding (msgspec, one block of COPY text per
  page), so its ratio is what the loader's own work costs: shape checks, batch counters, sync state;
- RawLoader: `write_page` as the extractor calls it (rows, rejects, batch counters, sync state per page).

Prints each path's best records/s over the rounds (the round least disturbed by whatever else the machine
runs: interference only ever slows a path down), both ratios, and what decoding a response body costs per
page with the stdlib `json` against `decode_json` (the HTTP client's). Uses WAREHOUSE_URL or the embedded
Postgres (a scratch database, dropped afterwards). Not a test: it prints ratios measured in one run.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from collections.abc import Callable, Iterator

import msgspec
import psycopg

from extractors.core.http import decode_json
from extractors.core.load import RawLoader
from extractors.core.pagination import AfterCursorPaginator, Page
from extractors.core.streams import Stream
from warehouse import services

PAGE_SIZE = 100
TARGET = 0.8
STREAM = Stream(
    source="bench",
    name="contacts",
    path="/crm/v3/objects/contacts",
    primary_key="id",
    cursor_field="updatedAt",
    paginator=AfterCursorPaginator(),
)
RAW_COLUMNS = (
    "(record_id text not null, cursor_value timestamptz, record jsonb not null, "
    "is_deleted boolean not null default false, batch_id bigint not null, "
    "extracted_at timestamptz not null default clock_timestamp())"
)
COPY_BARE = "copy raw.bare_copy (record_id, cursor_value, record, is_deleted, batch_id) from stdin"


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
    """What a plain psycopg script does: `write_row` per record, the JSON from the standard library."""
    started = time.perf_counter()
    for page in all_pages:
        with conn.transaction(), conn.cursor() as cur, cur.copy(COPY_BARE) as copy:
            for record in page.records:
                copy.write_row((record["id"], record["updatedAt"], json.dumps(record), False, 1))
    return time.perf_counter() - started


def bare_copy_msgspec(conn: psycopg.Connection, all_pages: list[Page]) -> float:
    """The loader's encoding without its checks and bookkeeping: one block of COPY text per page."""
    encode = msgspec.json.Encoder().encode
    started = time.perf_counter()
    for page in all_pages:
        block = b"".join(
            b"%s\t%s\t%s\tf\t1\n"
            % (record["id"].encode(), record["updatedAt"].encode(), encode(record).replace(b"\\", b"\\\\"))
            for record in page.records
        )
        with conn.transaction(), conn.cursor() as cur, cur.copy(COPY_BARE) as copy:
            copy.write(block)
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


PATHS: dict[str, Callable[[psycopg.Connection, list[Page]], float]] = {
    "bare COPY (write_row, json)": bare_copy,
    "bare COPY (msgspec block)": bare_copy_msgspec,
    "RawLoader": loader,
}


def fresh_tables(conn: psycopg.Connection) -> None:
    conn.execute("drop table if exists raw.bare_copy, raw.bench__contacts")
    conn.execute(f"create table raw.bare_copy {RAW_COLUMNS}")


def loaded(conn: psycopg.Connection, name: str) -> int:
    table = "raw.bench__contacts" if name == "RawLoader" else "raw.bare_copy"
    return conn.execute(f"select count(*) from {table}").fetchone()[0]


def measure(url: str, count: int, rounds: int) -> dict[str, list[float]]:
    """records/s of every path in every round; each round starts the paths in a rotated order."""
    all_pages = pages(count)
    rates: dict[str, list[float]] = {name: [] for name in PATHS}
    names = list(PATHS)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("create schema raw")
        for round_number in range(rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                fresh_tables(conn)
                seconds = PATHS[name](conn, all_pages)
                assert loaded(conn, name) == count, name
                rates[name].append(count / seconds)
    return rates


def decode_cost(pages_to_decode: int = 300) -> tuple[float, float]:
    """Microseconds to decode one 100-record response body: the stdlib `json`, then `decode_json`."""
    body = json.dumps({"results": list(records(PAGE_SIZE)), "paging": {"next": {"after": "100"}}}).encode()
    costs = []
    for decode in (lambda raw: json.loads(raw), decode_json):
        started = time.perf_counter()
        for _ in range(pages_to_decode):
            decode(body)
        costs.append((time.perf_counter() - started) / pages_to_decode * 1e6)
    return costs[0], costs[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = services.ensure_warehouse()
    base, _, _ = server.rpartition("/")
    database = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{database}"')
    try:
        rates = measure(f"{base}/{database}", args.records, args.rounds)
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{database}" with (force)')
    best = {name: max(values) for name, values in rates.items()}
    print(
        f"{args.records:,} records in pages of {PAGE_SIZE}, one transaction per page on every path; "
        f"best of {args.rounds} rounds (rotated order)"
    )
    for name, values in rates.items():
        each = ", ".join(f"{value:,.0f}" for value in values)
        print(f"  {name:<28} {best[name]:>10,.0f} records/s   (rounds: {each})")
    ours = best["RawLoader"]
    plain, same_encoding = best["bare COPY (write_row, json)"], best["bare COPY (msgspec block)"]
    print(f"ratio RawLoader / bare COPY                 = {ours / plain:.2f} (target >= {TARGET})")
    print(f"ratio RawLoader / bare COPY, same encoding  = {ours / same_encoding:.2f} (the loader's own overhead)")
    stdlib, ours_decode = decode_cost()
    print(
        f"decoding a {PAGE_SIZE}-record response body: json {stdlib:.0f} us, decode_json (msgspec) "
        f"{ours_decode:.0f} us per page; ratio {ours_decode / stdlib:.2f}"
    )


if __name__ == "__main__":
    main()
