"""The raw loader: COPY pages into append-only `raw.<source>__<stream>` tables, with bookkeeping.

Each page is one transaction: its rows, the batch counters and the stream's sync state commit together,
so a crash loses at most the page in flight, which the next run reads again. Raw tables keep every
version of every record; staging models pick the latest one, so re-reading never doubles anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import psycopg
from psycopg import sql

from extractors.core.streams import Stream

BOOKKEEPING_DDL = """
create schema if not exists raw;
create table if not exists raw._batches (
    batch_id bigint generated always as identity primary key,
    source text not null,
    stream text not null,
    status text not null default 'running',
    records bigint not null default 0,
    pages integer not null default 0,
    started_at timestamptz not null default clock_timestamp(),
    finished_at timestamptz
);
create table if not exists raw._sync_state (
    source text not null,
    stream text not null,
    cursor_value timestamptz,
    last_batch_id bigint,
    updated_at timestamptz not null default clock_timestamp(),
    primary key (source, stream)
);
"""

RAW_TABLE_DDL = """
create table if not exists raw.{table} (
    record_id text not null,
    cursor_value timestamptz,
    record jsonb not null,
    is_deleted boolean not null default false,
    batch_id bigint not null,
    extracted_at timestamptz not null default clock_timestamp()
)
"""


class RawLoader:
    """Writes one stream's pages into the warehouse's `raw` schema."""

    def __init__(self, conn: psycopg.Connection, stream: Stream) -> None:
        self.conn = conn
        self.stream = stream
        self.table = sql.Identifier(stream.table)

    def ensure_tables(self) -> None:
        with self.conn.transaction():
            self.conn.execute(BOOKKEEPING_DDL)
            self.conn.execute(sql.SQL(RAW_TABLE_DDL).format(table=self.table))

    def start_batch(self) -> int:
        with self.conn.transaction():
            row = self.conn.execute(
                "insert into raw._batches (source, stream) values (%s, %s) returning batch_id",
                (self.stream.source, self.stream.name),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def write_page(self, batch_id: int, records: Iterable[dict[str, Any]], *, is_deleted: bool) -> int:
        """COPY one page and move the batch counters and the sync state in the same transaction."""
        written = 0
        latest_cursor: str | None = None
        copy_sql = sql.SQL(
            "copy raw.{table} (record_id, cursor_value, record, is_deleted, batch_id) from stdin"
        ).format(table=self.table)
        with self.conn.transaction(), self.conn.cursor() as cur:
            with cur.copy(copy_sql) as copy:
                for record in records:
                    cursor_value = record.get(self.stream.cursor_field)
                    copy.write_row(
                        (str(record[self.stream.primary_key]), cursor_value, json.dumps(record), is_deleted, batch_id)
                    )
                    written += 1
                    # ISO 8601 UTC timestamps of one API share a format, so text order is time order.
                    if cursor_value and (latest_cursor is None or cursor_value > latest_cursor):
                        latest_cursor = cursor_value
            cur.execute(
                "update raw._batches set records = records + %s, pages = pages + 1 where batch_id = %s",
                (written, batch_id),
            )
            cur.execute(
                """
                insert into raw._sync_state as state (source, stream, cursor_value, last_batch_id)
                values (%s, %s, %s, %s)
                on conflict (source, stream) do update
                set cursor_value = greatest(state.cursor_value, excluded.cursor_value),
                    last_batch_id = excluded.last_batch_id,
                    updated_at = clock_timestamp()
                """,
                (self.stream.source, self.stream.name, latest_cursor, batch_id),
            )
        return written

    def finish_batch(self, batch_id: int, status: str) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "update raw._batches set status = %s, finished_at = clock_timestamp() where batch_id = %s",
                (status, batch_id),
            )
