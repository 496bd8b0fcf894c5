"""The raw loader on its own (no HTTP): what COPY writes, the per-page bookkeeping, and batches left `running`
by a run that died. A database per module; no sandbox."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import psycopg
import pytest

from extractors.core.http import decode_json
from extractors.core.load import NUL_REASON, RawLoader, copy_text
from extractors.core.pagination import AfterCursorPaginator, Page
from extractors.core.state import load_state
from extractors.core.streams import Stream

# Everything COPY's text format or JSON gives a meaning to, in values and in keys.
AWKWARD = {
    "id": "a\tb\\c\nd\re",
    "updatedAt": "2026-03-01T12:00:00.123+05:30",
    "properties": {
        "back\\slash": "C:\\path\\to\\n",
        'quote"key': 'say "hi"\ttab\nnewline\rreturn',
        "unicode": "Zoë ⟶ 東京 \u2028 😀",
        "escapes": "\\N \\. \\t literally",
        "control": "\x01\x1f",
        "empty": "",
        "null": None,
    },
    "numbers": [0, -1, 2**63, 1.5, 1e-7],
    "flags": [True, False],
    "nested": {"a": [{"b": {"c": []}}]},
}
PLAIN = {"id": 7, "updatedAt": "2026-03-02T00:00:00Z", "properties": {"email": "ada@example.com"}}


def stream(name: str = "things") -> Stream:
    return Stream(
        source="loader",
        name=name,
        path="/things",
        primary_key="id",
        cursor_field="updatedAt",
        paginator=AfterCursorPaginator(),
    )


@pytest.fixture
def db(warehouse_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        yield conn


def loader_for(conn: psycopg.Connection, name: str) -> RawLoader:
    loader = RawLoader(conn, stream(name), endpoint="http://loader.invalid")
    loader.ensure_tables()
    return loader


def batch_statuses(conn: psycopg.Connection, name: str) -> list[tuple[int, str, bool]]:
    return conn.execute(
        "select batch_id, status, finished_at is not null from raw._batches where stream = %s order by batch_id",
        (name,),
    ).fetchall()


def test_records_land_in_jsonb_exactly_as_they_were_read_whatever_characters_they_hold(
    db: psycopg.Connection,
) -> None:
    loader = loader_for(db, "awkward")
    batch_id = loader.start_batch()

    result = loader.write_page(batch_id, Page(1, [AWKWARD, PLAIN]), is_deleted=True)

    assert (result.written, result.rejected) == (2, 0)
    rows = db.execute(
        "select record_id, cursor_value, record, is_deleted, batch_id from raw.loader__awkward order by cursor_value"
    ).fetchall()
    assert rows == [
        (
            "a\tb\\c\nd\re",
            datetime.datetime(2026, 3, 1, 6, 30, 0, 123000, tzinfo=datetime.UTC),
            AWKWARD,
            True,
            batch_id,
        ),
        ("7", datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC), PLAIN, True, batch_id),
    ]


def test_copy_text_is_one_line_per_row_with_copys_escapes() -> None:
    cursor = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)

    text = copy_text([("x\ty", cursor, b'{"a":"b\\\\c"}'), ("2", None, b"{}")], is_deleted=False, batch_id=42)

    assert text == (b'x\\ty\t2026-03-01T00:00:00+00:00\t{"a":"b\\\\\\\\c"}\tf\t42\n' + b"2\t\\N\t{}\tf\t42\n")


def test_a_page_moves_the_batch_counters_and_a_cursor_order_page_the_sync_state_in_its_transaction(
    db: psycopg.Connection,
) -> None:
    loader = loader_for(db, "counted")
    batch_id = loader.start_batch()
    sync_start = datetime.datetime(2026, 3, 1, 18, tzinfo=datetime.UTC)
    unordered = Page(1, [PLAIN, {"id": "no cursor"}])
    ordered = Page(2, [AWKWARD], checkpoint=datetime.datetime(2026, 3, 5, tzinfo=datetime.UTC))

    loader.write_page(batch_id, unordered, is_deleted=False)
    state_after_unordered = loader.load_state()
    loader.write_page(batch_id, ordered, is_deleted=False, move_cursor_until=sync_start)

    counters = db.execute("select records, rejected, pages from raw._batches where batch_id = %s", (batch_id,))
    assert counters.fetchone() == (2, 1, 2)
    assert state_after_unordered.cursor is None  # a page in id order says nothing about time
    assert (loader.load_state().cursor, loader.load_state().endpoint) == (sync_start, "http://loader.invalid")


def test_a_page_whose_records_are_all_rejected_writes_no_rows_but_counts_the_page(db: psycopg.Connection) -> None:
    loader = loader_for(db, "rejected")
    batch_id = loader.start_batch()

    result = loader.write_page(batch_id, Page(1, [["not", "an", "object"], {"id": ""}]), is_deleted=False)

    assert (result.written, result.rejected, result.newest_cursor) == (0, 2, None)
    assert db.execute("select count(*) from raw.loader__rejected").fetchone() == (0,)
    rejects = db.execute("select record from raw._rejects where batch_id = %s order by reject_id", (batch_id,))
    assert rejects.fetchall() == [(["not", "an", "object"],), ({"id": ""},)]
    counters = db.execute("select records, rejected, pages from raw._batches where batch_id = %s", (batch_id,))
    assert counters.fetchone() == (0, 2, 1)


def test_a_batch_left_running_by_a_dead_run_is_marked_abandoned_when_the_next_batch_starts(
    db: psycopg.Connection, warehouse_url: str
) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as dying:
        dead = loader_for(dying, "stale").start_batch()  # its run dies: the connection goes, the batch stays
    other_stream = loader_for(db, "elsewhere").start_batch()

    following = loader_for(db, "stale").start_batch()

    assert batch_statuses(db, "stale") == [(dead, "abandoned", True), (following, "running", False)]
    assert batch_statuses(db, "elsewhere") == [(other_stream, "running", False)]  # another stream's: untouched


def test_a_batch_another_live_run_is_still_loading_stays_running(db: psycopg.Connection, warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as live:
        loading = loader_for(live, "shared").start_batch()

        beside = loader_for(db, "shared").start_batch()
        while_both_run = batch_statuses(db, "shared")
        loader_for(live, "shared").finish_batch(loading, "succeeded")

    assert while_both_run == [(loading, "running", False), (beside, "running", False)]
    assert batch_statuses(db, "shared")[0] == (loading, "succeeded", True)


def test_finishing_a_batch_releases_the_lock_that_marks_it_live(db: psycopg.Connection, warehouse_url: str) -> None:
    loader = loader_for(db, "reused")
    finished = loader.start_batch()
    loader.finish_batch(finished, "succeeded")
    held = db.execute("select count(*) from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()")
    assert held.fetchone() == (0,)


def test_response_bodies_decode_with_or_without_a_byte_order_mark_and_garbage_is_a_value_error() -> None:
    body = b'{"results": [{"id": "1", "name": "Zo\xc3\xab"}], "n": 12345678901234567890123}'

    assert decode_json(body) == decode_json(b"\xef\xbb\xbf" + body)
    assert decode_json(body) == {"results": [{"id": "1", "name": "Zoë"}], "n": 12345678901234567890123}
    for broken in (b"", b'{"results": [', b"<html>502</html>"):
        with pytest.raises(ValueError):
            decode_json(broken)


def test_state_written_before_full_read_at_existed_still_loads(db: psycopg.Connection) -> None:
    loader = loader_for(db, "older")
    batch_id = loader.start_batch()
    cursor = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    loader.complete_read(batch_id, cursor, None, full_read_at=cursor)
    assert load_state(db, "loader", "older").full_read_at == cursor

    with db.transaction(force_rollback=True):  # as the DAG reads it before the stream's DDL adds the column
        db.execute("alter table raw._sync_state drop column full_read_at")
        older = load_state(db, "loader", "older")

    assert (older.cursor, older.endpoint, older.full_read_at) == (cursor, "http://loader.invalid", None)


def test_a_record_holding_the_character_u0000_is_rejected_and_the_rest_of_its_page_lands(
    db: psycopg.Connection,
) -> None:
    loader = loader_for(db, "nul")
    batch_id = loader.start_batch()
    holding_nul = {"id": "1", "updatedAt": "2026-03-01T00:00:00Z", "notes": "pasted\x00text", "ok": "\\u0000"}
    only_looks_like_it = {"id": "2", "updatedAt": "2026-03-01T00:00:00Z", "path": "C:\\u0000\\x"}

    result = loader.write_page(batch_id, Page(1, [holding_nul, only_looks_like_it]), is_deleted=False)

    assert (result.written, result.rejected) == (1, 1)
    assert db.execute("select record from raw.loader__nul").fetchall() == [(only_looks_like_it,)]
    (reason, record), *_ = db.execute("select reason, record from raw._rejects where batch_id = %s", (batch_id,))
    assert reason == NUL_REASON
    assert record == {**holding_nul, "notes": "pasted\\u0000text"}  # kept, with the character written out
