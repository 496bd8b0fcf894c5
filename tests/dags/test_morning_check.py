"""The morning check passes when the published marts are as of this morning's midnight, and otherwise fails
naming the last publication."""

from __future__ import annotations

import datetime

import psycopg
import pytest

from warehouse.orchestration import PUBLICATIONS_DDL, MartsNotPublishedError, check_published_for_morning

UTC = datetime.UTC


def morning(day: int) -> dict[str, datetime.datetime]:
    """The check's context on 2026-03-<day>: data interval [midnight, 07:00)."""
    midnight = datetime.datetime(2026, 3, day, tzinfo=UTC)
    return {"data_interval_start": midnight, "data_interval_end": midnight + datetime.timedelta(hours=7)}


def record_publication(url: str, run_id: str, as_of: datetime.datetime) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PUBLICATIONS_DDL)
        conn.execute(
            "insert into audit.publications (run_id, as_of, schemas) values (%s, %s, %s)", (run_id, as_of, ["marts"])
        )


def test_a_warehouse_that_never_published_fails_the_check(pipeline_env: dict[str, str]) -> None:
    with pytest.raises(MartsNotPublishedError, match="none ever was"):
        check_published_for_morning(morning(23))


def test_marts_as_of_last_midnight_pass_and_older_ones_fail_naming_the_last_night(
    pipeline_env: dict[str, str],
) -> None:
    record_publication(pipeline_env["WAREHOUSE_URL"], "night-of-the-23rd", datetime.datetime(2026, 3, 23, tzinfo=UTC))

    assert check_published_for_morning(morning(23)) == datetime.datetime(2026, 3, 23, tzinfo=UTC)
    with pytest.raises(MartsNotPublishedError) as missing:
        check_published_for_morning(morning(24))
    assert "not as of 2026-03-24T00:00:00+00:00" in str(missing.value)
    assert "run night-of-the-23rd" in str(missing.value)
