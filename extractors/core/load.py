"""The raw loader: COPY pages into append-only `raw.<source>__<stream>` tables, with bookkeeping.

Each page is one transaction: its rows, its rejects, the batch counters and the stream's sync state commit
together, so a crash loses at most the page in flight, which the next run reads again. Raw tables keep every
version of every record; staging models pick the latest one, so re-reading never doubles anything.

Per page the loader costs little more than a bare COPY (`bench/loader_copy.py`): each record's id and cursor
are read once, its JSON is encoded by msgspec and the page goes to COPY as one block of COPY text, and the
bookkeeping is one statement (batch counters, plus the sync state when the page moves the cursor). Bigger
transactions (several pages each) were measured and bought nothing here: a commit costs tens of
microseconds, against about a millisecond per 100-record page, and they would hold a transaction open
across HTTP waits.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import psycopg
from psycopg import sql

from extractors.core import state
from extractors.core.pagination import Page
from extractors.core.streams import ShapeError, Stream

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
# The same for the records with a version changed since an instant (their latest version is at least as new).
CHANGED_ACTIVE_IDS_SQL = """
select record_id from (
    select distinct on (record_id) record_id, is_deleted
    from raw.{table}
    where record_id in (select record_id from raw.{table} where cursor_value >= %(since)s)
    order by record_id, cursor_value desc nulls last, batch_id desc, is_deleted desc
) as latest
where not is_deleted
order by record_id
"""


# A running batch is held by a session advisory lock on (this class, its id) until it finishes; the class
# ("RAWB") keeps these locks apart from any other advisory locks in the database.
BATCH_LOCK_CLASS = 1_380_013_890
_BATCH_LOCK_KEY = f"{BATCH_LOCK_CLASS}, mod(%(batch_id)s::bigint, 2147483647)::integer"
LOCK_BATCH_SQL = f"select pg_advisory_lock({_BATCH_LOCK_KEY})"
UNLOCK_BATCH_SQL = f"select pg_advisory_unlock({_BATCH_LOCK_KEY})"
ABANDON_DEAD_BATCHES_SQL = f"""
update raw._batches set status = 'abandoned', finished_at = clock_timestamp()
where source = %(source)s and stream = %(stream)s and status = 'running'
    and pg_try_advisory_xact_lock({BATCH_LOCK_CLASS}, mod(batch_id, 2147483647)::integer)
"""

# Batch counters, and (for a page read in cursor order) the sync state, in one statement: one round trip.
COUNT_PAGE_SQL = """
update raw._batches set records = records + %(written)s, rejected = rejected + %(rejected)s, pages = pages + 1
where batch_id = %(batch_id)s
"""
COUNT_PAGE_AND_MOVE_CURSOR_SQL = f"with counted as ({COUNT_PAGE_SQL}) {state.RECORD_PAGE_SQL}"

# COPY's text format gives these characters a meaning; in a value they are written as escapes.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_NULL = b"\\N"
_JSON = msgspec.json.Encoder()
# A JSON escape: `\u0000` (the character U+0000), or a backslash and the character after it. Matched left
# to right, an escaped backslash is consumed whole, so `\\u0000` (a backslash, then the text u0000) is not
# taken for U+0000, which Postgres' jsonb cannot hold: one such record would fail its whole page.
_ESCAPE = re.compile(rb"\\u0000|\\.", re.DOTALL)
_NUL = b"\\u0000"
NUL_REASON = "holds the character U+0000, which Postgres cannot store in jsonb"

Row = tuple[str, datetime.datetime | None, bytes]  # record id, cursor instant, the record as JSON


@dataclass(frozen=True)
class PageResult:
    written: int
    rejected: int
    newest_cursor: datetime.datetime | None


def copy_text(rows: list[Row], is_deleted: bool, batch_id: int) -> bytes:
    """`rows` as COPY text lines (record_id, cursor_value, record, is_deleted, batch_id), UTF-8.

    The JSON goes in as msgspec writes it: strings there never hold a raw tab, newline or carriage return
    (JSON escapes control characters), so doubling its backslashes is all COPY's text format needs.
    """
    tail = b"\t%s\t%d\n" % (b"t" if is_deleted else b"f", batch_id)
    return b"".join(
        [
            b"%s\t%s\t%s%s"
            % (
                record_id.translate(_COPY_ESCAPES).encode(),
                _COPY_NULL if cursor is None else cursor.isoformat().encode(),
                record.replace(b"\\", b"\\\\"),
                tail,
            )
            for record_id, cursor, record in rows
        ]
    )


def holds_nul(encoded: bytes) -> bool:
    """Whether this JSON holds the character U+0000 (cheap when it does not: one byte search)."""
    return _NUL in encoded and any(found.group() == _NUL for found in _ESCAPE.finditer(encoded))


def jsonb_safe(encoded: bytes) -> bytes:
    """The JSON with each U+0000 written as the six characters `\\u0000` instead, which jsonb can hold."""
    return _ESCAPE.sub(lambda found: b"\\\\u0000" if found.group() == _NUL else found.group(), encoded)


class RawLoader:
    """Writes one stream's pages into the warehouse's `raw` schema."""

    def __init__(self, conn: psycopg.Connection, stream: Stream, endpoint: str) -> None:
        self.conn = conn
        self.stream = stream
        self.endpoint = endpoint
        self.table = sql.Identifier(stream.table)
        self._copy_sql = sql.SQL(
            "copy raw.{table} (record_id, cursor_value, record, is_deleted, batch_id) from stdin"
        ).format(table=self.table)

    def ensure_tables(self) -> None:
        with self.conn.transaction():
            self.conn.execute(BOOKKEEPING_DDL)
            self.conn.execute(state.SYNC_STATE_DDL)
            self.conn.execute(sql.SQL(RAW_TABLE_DDL).format(table=self.table))

    def load_state(self) -> state.SyncState:
        return state.load_state(self.conn, self.stream.source, self.stream.name)

    def start_batch(self) -> int:
        """A new `running` batch of this stream, held by this connection until `finish_batch`.

        Batches of this stream left `running` by a run that died (SIGKILL, a lost connection) are marked
        `abandoned` first. The live/dead test is a session advisory lock each run holds on its batch: the
        server drops it with the dead run's connection, so a batch another live run is still loading (a CLI
        run beside an Airflow task) keeps its `running`.
        """
        with self.conn.transaction():
            self.conn.execute(ABANDON_DEAD_BATCHES_SQL, {"source": self.stream.source, "stream": self.stream.name})
            row = self.conn.execute(
                "insert into raw._batches (source, stream) values (%s, %s) returning batch_id",
                (self.stream.source, self.stream.name),
            ).fetchone()
            assert row is not None
            batch_id = int(row[0])
            self.conn.execute(LOCK_BATCH_SQL, {"batch_id": batch_id})
        return batch_id

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
        reached = page.checkpoint or newest
        moved = state.capped(reached, move_cursor_until) if move_cursor_until is not None else None
        counts = {"written": len(good), "rejected": len(rejects), "batch_id": batch_id}
        with self.conn.transaction(), self.conn.cursor() as cur:
            if good:
                self._copy(cur, copy_text(good, is_deleted, batch_id))
            self._reject(cur, batch_id, page, rejects)
            if moved is None:
                cur.execute(COUNT_PAGE_SQL, counts)
            else:
                row = state.page_state_row(self.stream.source, self.stream.name, batch_id, moved, self.endpoint)
                cur.execute(COUNT_PAGE_AND_MOVE_CURSOR_SQL, counts | row)
        return PageResult(len(good), len(rejects), newest)

    def _split(self, page: Page) -> tuple[list[Row], list[tuple[str, bytes]]]:
        """The page's rows, and its rejects as (reason, JSON that jsonb accepts)."""
        good: list[Row] = []
        rejects: list[tuple[str, bytes]] = []
        for record in page.records:
            encoded = _JSON.encode(record)
            if holds_nul(encoded):
                rejects.append((NUL_REASON, jsonb_safe(encoded)))
                continue
            try:
                record_id, cursor = self.stream.key_and_cursor(record)
            except ShapeError as problem:
                rejects.append((str(problem), encoded))
                continue
            good.append((record_id, cursor, encoded))
        return good, rejects

    def _copy(self, cur: psycopg.Cursor, data: bytes) -> None:
        with cur.copy(self._copy_sql) as copy:
            # Bytes go to the server as they are: fine for a UTF-8 connection (the default); otherwise hand
            # psycopg text, which it encodes in the connection's encoding.
            copy.write(data if self.conn.info.encoding == "utf-8" else data.decode())

    def _reject(self, cur: psycopg.Cursor, batch_id: int, page: Page, rejects: list[tuple[str, bytes]]) -> None:
        if rejects:
            cur.executemany(
                "insert into raw._rejects (source, stream, batch_id, reason, record, url) "
                "values (%s, %s, %s, %s, %s::jsonb, %s)",
                [
                    (self.stream.source, self.stream.name, batch_id, reason, record.decode(), page.url)
                    for reason, record in rejects
                ],
            )

    def complete_read(
        self,
        batch_id: int,
        cursor: datetime.datetime | None,
        properties: tuple[str, ...] | None,
        *,
        full_read_at: datetime.datetime | None = None,
    ) -> None:
        """A whole read is done: store its cursor (already capped), the properties it discovered and, for a
        by-parent stream that read every parent, when that full read started."""
        with self.conn.transaction():
            state.record_complete_read(
                self.conn,
                self.stream.source,
                self.stream.name,
                batch_id,
                endpoint=self.endpoint,
                cursor=cursor,
                properties=properties,
                full_read_at=full_read_at,
            )

    def finish_batch(self, batch_id: int, status: str) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "update raw._batches set status = %(status)s, finished_at = clock_timestamp() "
                "where batch_id = %(batch_id)s",
                {"status": status, "batch_id": batch_id},
            )
            self.conn.execute(UNLOCK_BATCH_SQL, {"batch_id": batch_id})

    def active_ids(self, table: str, changed_since: datetime.datetime | None = None) -> Iterator[str]:
        """Ids of the active records of another raw table (a parent stream), streamed, in id order.

        With `changed_since`, only those whose latest version has a cursor at or after that instant.
        """
        exists = self.conn.execute("select to_regclass(%s)", (f"raw.{table}",)).fetchone()
        if exists is None or exists[0] is None:
            return
        query, params = sql.SQL(ACTIVE_IDS_SQL), None
        if changed_since is not None:
            query, params = sql.SQL(CHANGED_ACTIVE_IDS_SQL), {"since": changed_since}
        # WITH HOLD: the cursor outlives its transaction, so page transactions can commit meanwhile.
        with self.conn.cursor(name=f"ids_{self.stream.name}", withhold=True) as cur:
            cur.execute(query.format(table=sql.Identifier(table)), params)
            for (record_id,) in cur:
                yield record_id
