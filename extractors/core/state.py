"""Incremental state in `raw._sync_state`: one row per (source, stream).

- `cursor_value`: every record with a cursor at or before it has been read. It only moves (a) per page of a
  read in cursor order (search), or (b) at the end of a complete read in another order (a list by id), and
  never past the start of the sync that read it: a record changed during a sync is read again next time.
- `endpoint`: the base URL the cursor was read from. A cursor read from another server (another account, a
  fresh sandbox) says nothing about this one, so the stream reads in full there.
- `properties`: the property names discovered on the last complete run, to report new ones once.
- `full_read_at`: when the last complete full read of a by-parent stream (associations) started; such a
  stream follows only the parents changed since its cursor in between, and reads every parent again once
  this is older than the stream's `parent_full_read_every`.

For a by-parent stream, `cursor_value` is the parent stream's cursor when its read began: every parent
change up to it was in the parent's raw table then, so the read covered the associations of all of them.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass

import psycopg

SYNC_STATE_DDL = """
create table if not exists raw._sync_state (
    source text not null,
    stream text not null,
    cursor_value timestamptz,
    last_batch_id bigint,
    updated_at timestamptz not null default clock_timestamp(),
    primary key (source, stream)
);
alter table raw._sync_state add column if not exists endpoint text;
alter table raw._sync_state add column if not exists properties jsonb;
alter table raw._sync_state add column if not exists full_read_at timestamptz;
"""


@dataclass(frozen=True)
class SyncState:
    cursor: datetime.datetime | None = None
    endpoint: str | None = None
    properties: frozenset[str] | None = None
    full_read_at: datetime.datetime | None = None

    def cursor_for(self, endpoint: str) -> datetime.datetime | None:
        """The stored cursor, if it was read from this endpoint."""
        return self.cursor if self.endpoint == endpoint else None


@dataclass(frozen=True)
class ReadStart:
    """Where a run starts reading: None means from the beginning (a full read)."""

    since: datetime.datetime | None
    reason: str


def read_start(
    state: SyncState,
    endpoint: str,
    lookback: datetime.timedelta,
    *,
    full_refresh: bool = False,
    since: datetime.datetime | None = None,
) -> ReadStart:
    """`--since` wins, then `--full-refresh`, then the stored cursor minus the lookback, else a full read."""
    if since is not None:
        return ReadStart(since, f"since {since.isoformat()} (--since)")
    if full_refresh:
        return ReadStart(None, "full refresh (--full-refresh)")
    cursor = state.cursor_for(endpoint)
    if cursor is None:
        return ReadStart(None, "full read (no cursor from this endpoint yet)")
    return ReadStart(cursor - lookback, f"changes since {(cursor - lookback).isoformat()} (cursor - lookback)")


def capped(cursor: datetime.datetime | None, started_at: datetime.datetime) -> datetime.datetime | None:
    """A cursor never moves past the start of the sync that read it."""
    return None if cursor is None else min(cursor, started_at)


def load_state(conn: psycopg.Connection, source: str, stream: str) -> SyncState:
    row = conn.execute(
        # `full_read_at` through to_jsonb: a reader that runs before this version's DDL (the DAG looks at the
        # state before the stream starts) sees null rather than an error while the column does not exist yet.
        "select cursor_value, endpoint, properties, (to_jsonb(state) ->> 'full_read_at')::timestamptz "
        "from raw._sync_state as state where source = %s and stream = %s",
        (source, stream),
    ).fetchone()
    if row is None:
        return SyncState()
    cursor, endpoint, properties, full_read_at = row
    return SyncState(cursor, endpoint, None if properties is None else frozenset(properties), full_read_at)


# A page read in cursor order moves the cursor forward (never back on one endpoint) and notes its batch.
RECORD_PAGE_SQL = """
insert into raw._sync_state as state (source, stream, cursor_value, last_batch_id, endpoint)
values (%(source)s, %(stream)s, %(cursor)s, %(batch_id)s, %(endpoint)s)
on conflict (source, stream) do update
set cursor_value = case when excluded.cursor_value is null then state.cursor_value
                        when state.endpoint is distinct from excluded.endpoint then excluded.cursor_value
                        else greatest(state.cursor_value, excluded.cursor_value) end,
    endpoint = coalesce(excluded.endpoint, state.endpoint),
    last_batch_id = excluded.last_batch_id,
    updated_at = clock_timestamp()
"""


def page_state_row(
    source: str, stream: str, batch_id: int, cursor: datetime.datetime | None, endpoint: str | None
) -> dict[str, object]:
    """The parameters of `RECORD_PAGE_SQL` (the loader runs it in the same statement as its batch counters)."""
    return {"source": source, "stream": stream, "cursor": cursor, "batch_id": batch_id, "endpoint": endpoint}


def record_complete_read(
    conn: psycopg.Connection,
    source: str,
    stream: str,
    batch_id: int,
    *,
    endpoint: str,
    cursor: datetime.datetime | None,
    properties: Iterable[str] | None,
    full_read_at: datetime.datetime | None = None,
) -> None:
    """After a whole read: its cursor (greatest with the stored one from the same endpoint) and the properties.

    `full_read_at` (the sync's start) is given when a by-parent stream has just read every parent.
    """
    names = None if properties is None else json.dumps(sorted(properties))
    conn.execute(
        """
        insert into raw._sync_state as state
            (source, stream, cursor_value, last_batch_id, endpoint, properties, full_read_at)
        values (%s, %s, %s, %s, %s, %s::jsonb, %s)
        on conflict (source, stream) do update
        set cursor_value = case when state.endpoint is distinct from excluded.endpoint then excluded.cursor_value
                                else greatest(state.cursor_value, excluded.cursor_value) end,
            full_read_at = case when state.endpoint is distinct from excluded.endpoint then excluded.full_read_at
                                else coalesce(excluded.full_read_at, state.full_read_at) end,
            endpoint = excluded.endpoint,
            properties = coalesce(excluded.properties, state.properties),
            last_batch_id = excluded.last_batch_id,
            updated_at = clock_timestamp()
        """,
        (source, stream, cursor, batch_id, endpoint, names, full_read_at),
    )
