"""The raw loader: COPY pages into append-only `raw.<source>__<stream>` tables, with bookkeeping.

Each page is one transaction: its rows, its rejects, the batch counters and the stream's sync state commit
together, so a crash loses at most the page in flight, which the next run reads again. Raw tables keep every
version of every record; staging models pick the latest one, so re-reading never doubles anything.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
from psycopg import sql

from extractors.core import state
from extractors.core.pagination import Page, parse_instant
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
alter table raw._batches add column if not exists rejected bigint not null default 0;
create table if not exists raw._rejects (
    reject_id bigint generated always as identity primary key,
    source text not null,
    stream text not null,
    batch_id bigint not null,
    reason text not null,
    record jsonb,
    url text,
    rejected_at timestamptz not null default clock_timestamp()
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

# The latest version of each record (as staging picks it), for the ids of a parent stream's active records.
ACTIVE_IDS_SQL = """
select record_id from (
    select distinct on (record_id) record_id, is_deleted
    from raw.{table}
    order by record_id, cursor_value desc nulls last, batch_id desc, is_deleted desc
) as latest
where not is_deleted
order by record_id
"""


@dataclass(frozen=True)
class PageResult:
    written: int
    rejected: int
    newest_cursor: datetime.datetime | None


class RawLoader:
    """Writes one stream's pages into the warehouse's `raw` schema."""

    def __init__(self, conn: psycopg.Connection, stream: Stream, endpoint: str) -> None:
        self.conn = conn
        self.stream = stream
        self.endpoint = endpoint
        self.table = sql.Identifier(stream.table)

    def ensure_tables(self) -> None:
        with self.conn.transaction():
            self.conn.execute(BOOKKEEPING_DDL)
            self.conn.execute(state.SYNC_STATE_DDL)
            self.conn.execute(sql.SQL(RAW_TABLE_DDL).format(table=self.table))

    def load_state(self) -> state.SyncState:
        return state.load_state(self.conn, self.stream.source, self.stream.name)

    def start_batch(self) -> int:
        with self.conn.transaction():
            row = self.conn.execute(
                "insert into raw._batches (source, stream) values (%s, %s) returning batch_id",
                (self.stream.source, self.stream.name),
            ).fetchone()
        assert row is not None
        return int(row[0])

    def write_page(
        self,
        batch_id: int,
        page: Page,
        *,
        is_deleted: bool,
        move_cursor_until: datetime.datetime | None = None,
    ) -> PageResult:
        """COPY one page, its rejects, the batch counters and the sync state in one transaction.

        `move_cursor_until` (the sync's start) is given for pages read in cursor order: the stored cursor
        then moves to the page's checkpoint (else its newest record), but not past that instant.
        """
        good, rejects = self._split(page)
        newest = max((cursor for _, cursor, _ in good if cursor is not None), default=None)
        with self.conn.transaction(), self.conn.cursor() as cur:
            self._copy(cur, batch_id, good, is_deleted)
            self._reject(cur, batch_id, page, rejects)
            cur.execute(
                "update raw._batches set records = records + %s, rejected = rejected + %s, pages = pages + 1 "
                "where batch_id = %s",
                (len(good), len(rejects), batch_id),
            )
            reached = page.checkpoint or newest
            moved = state.capped(reached, move_cursor_until) if move_cursor_until is not None else None
            endpoint = self.endpoint if moved is not None else None
            state.record_page(cur, self.stream.source, self.stream.name, batch_id, moved, endpoint)
        return PageResult(len(good), len(rejects), newest)

    def _split(self, page: Page) -> tuple[list[tuple[str, datetime.datetime | None, dict]], list[tuple[str, object]]]:
        good, rejects = [], []
        for record in page.records:
            problem = self.stream.shape_problem(record)
            if problem is not None:
                rejects.append((problem, record))
                continue
            good.append((self.stream.record_id(record), parse_instant(self.stream.cursor_text(record)), record))
        return good, rejects

    def _copy(self, cur: psycopg.Cursor, batch_id: int, good: list, is_deleted: bool) -> None:
        copy_sql = sql.SQL(
            "copy raw.{table} (record_id, cursor_value, record, is_deleted, batch_id) from stdin"
        ).format(table=self.table)
        with cur.copy(copy_sql) as copy:
            for record_id, cursor_value, record in good:
                copy.write_row((record_id, cursor_value, json.dumps(record), is_deleted, batch_id))

    def _reject(self, cur: psycopg.Cursor, batch_id: int, page: Page, rejects: list[tuple[str, object]]) -> None:
        if rejects:
            cur.executemany(
                "insert into raw._rejects (source, stream, batch_id, reason, record, url) "
                "values (%s, %s, %s, %s, %s::jsonb, %s)",
                [
                    (self.stream.source, self.stream.name, batch_id, reason, json.dumps(record), page.url)
                    for reason, record in rejects
                ],
            )

    def complete_read(
        self, batch_id: int, cursor: datetime.datetime | None, properties: tuple[str, ...] | None
    ) -> None:
        """A whole read is done: store its cursor (already capped) and the properties it discovered."""
        with self.conn.transaction():
            state.record_complete_read(
                self.conn,
                self.stream.source,
                self.stream.name,
                batch_id,
                endpoint=self.endpoint,
                cursor=cursor,
                properties=properties,
            )

    def finish_batch(self, batch_id: int, status: str) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "update raw._batches set status = %s, finished_at = clock_timestamp() where batch_id = %s",
                (status, batch_id),
            )

    def active_ids(self, table: str) -> Iterator[str]:
        """Ids of the active records of another raw table (a parent stream), streamed, in id order."""
        exists = self.conn.execute("select to_regclass(%s)", (f"raw.{table}",)).fetchone()
        if exists is None or exists[0] is None:
            return
        # WITH HOLD: the cursor outlives its transaction, so page transactions can commit meanwhile.
        with self.conn.cursor(name=f"ids_{self.stream.name}", withhold=True) as cur:
            cur.execute(sql.SQL(ACTIVE_IDS_SQL).format(table=sql.Identifier(table)))
            for (record_id,) in cur:
                yield record_id
