"""What the Airflow tasks do, beyond the night's steps in `warehouse.nightly`: per-stream ingestion bounded by
the data interval, the night's `as_of`, dbt run results kept for the summary, the publication record.

Imported inside task bodies only (never when a DAG file is parsed).
"""

from __future__ import annotations

import datetime
import fcntl
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg

from warehouse import config, connections, nightly

log = logging.getLogger(__name__)

PUBLICATIONS_DDL = """
create schema if not exists audit;
create table if not exists audit.publications (
    run_id text not null,
    as_of timestamptz,
    published_at timestamptz not null default clock_timestamp(),
    schemas text[] not null
);
"""


def _instant(value: object) -> datetime.datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


# --- ingestion -----------------------------------------------------------------------------------------------


def incremental_since(
    source: str, stream: str, window_start: datetime.datetime | None
) -> tuple[datetime.datetime | None, str]:
    """Where a stream's read starts this night, and why.

    The stored cursor (minus the stream's lookback) as usual; but never later than the data interval start,
    so a rerun or a backfilled night re-reads its own window. No cursor from this endpoint: a full read.
    """
    from extractors.core.state import load_state
    from extractors.runner import _source_modules

    declaration = {s.name: s for s in _source_modules(source)[1].STREAMS}[stream]
    endpoint = config.source(source).base_url
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
        exists = conn.execute("select to_regclass('raw._sync_state')").fetchone()[0]
        state = load_state(conn, source, stream) if exists else None
    cursor = state.cursor_for(endpoint) if state is not None else None
    if cursor is None or window_start is None:
        return None, "stored cursor or full read"
    if cursor - declaration.lookback > window_start:
        return window_start, f"rerun of a past night: since the data interval start {window_start.isoformat()}"
    return None, f"since the stored cursor {cursor.isoformat()} minus the lookback"


def ingest_stream(source: str, stream: str, asset_name: str, context: Mapping[str, Any]) -> dict[str, object]:
    """One stream of one source into raw, for the run's data interval; the asset event carries the window."""
    from extractors.runner import RunOptions, run_source

    connections.apply(source)
    start, end = _instant(context.get("data_interval_start")), _instant(context.get("data_interval_end"))
    since, reason = incremental_since(source, stream, start)
    log.info("%s.%s: window [%s, %s): %s", source, stream, start, end, reason)
    (report,) = run_source(source, [stream], options=RunOptions(since=since))
    as_of = (end or datetime.datetime.now(datetime.UTC)).isoformat()
    outlet_events = context.get("outlet_events")
    if outlet_events is not None:
        outlet_events[_asset_by_name(context, asset_name)].extra = {
            "as_of": as_of,
            "window_start": start.isoformat() if start else None,
            "records": report.records,
            "batch_id": report.batch_id,
        }
    return {**report.as_dict(), "as_of": as_of, "read": reason}


def _asset_by_name(context: Mapping[str, Any], name: str) -> object:
    for outlet in context["task"].outlets:
        if getattr(outlet, "name", None) == name:
            return outlet
    raise KeyError(name)


# --- the warehouse build ------------------------------------------------------------------------------------


def resolve_as_of(context: Mapping[str, Any]) -> str:
    """The instant the night's numbers are as of.

    An asset-triggered run (no logical date) takes the earliest `as_of` its triggering ingestion runs
    reported: the marts never claim more than every source has landed. A run with a logical date (a manual
    run, `airflow dags test`, a backfill) takes its data interval end.
    """
    reported = []
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            value = (getattr(event, "extra", None) or {}).get("as_of")
            if value:
                reported.append(_instant(value))
    if reported:
        as_of = min(reported)
    else:
        as_of = _instant(context.get("data_interval_end")) or _instant(context.get("logical_date"))
    if as_of is None:
        as_of = datetime.datetime.now(datetime.UTC)
        log.warning("no data interval and no triggering asset events: as_of = now (%s)", as_of)
    log.info("the night's numbers are as of %s", as_of.isoformat())
    return as_of.isoformat()


def prepare_build(as_of: str) -> dict[str, object]:
    """A build starts from no previous run results and fresh build schemas, holding only the incremental
    tables carried over (moved from the previous generation or copied from the published one). Returns (as
    XCom) the tables carried and those of them moved, whether the unit tests run, and the
    DBT_EXCLUDE_RESOURCE_TYPES the dbt task group's environment takes from here."""
    connections.apply()
    run_results_path().unlink(missing_ok=True)
    plan = nightly.prepare_build(as_of)
    return {
        "carried": plan.carried,
        "moved": plan.moved,
        "unit_tests": plan.unit_tests,
        "exclude_resource_types": plan.excluded_resource_types,
    }


def run_results_path() -> Path:
    from warehouse.dbt import target_dir

    return target_dir() / "run_results.json"


def keep_run_results(project_dir: str, **_: object) -> None:
    """Cosmos callback after each dbt invocation: merge its run_results.json into DBT_TARGET_PATH's.

    Cosmos runs dbt in a temporary copy of the project; the summary reads the night's results from the
    usual place. One dbt invocation (WATCHER) or many (LOCAL) give the same merged file.
    """
    produced = Path(project_dir) / "target" / "run_results.json"
    if not produced.is_file():
        return
    results = json.loads(produced.read_text())["results"]
    target = run_results_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = {}
        if target.is_file():
            merged = {result["unique_id"]: result for result in json.loads(target.read_text())["results"]}
        merged.update({result["unique_id"]: result for result in results})
        target.write_text(json.dumps({"results": list(merged.values())}))


def validate_contracts(run_id: str) -> dict[str, int]:
    connections.apply()
    return nightly.validate_contracts(run_id)


def publish(run_id: str, as_of: str) -> list[str]:
    """Swap the validated build into place and record when (for the morning check and the summary)."""
    connections.apply()
    schemas = nightly.publish()
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
        conn.execute(PUBLICATIONS_DDL)
        conn.execute(
            "insert into audit.publications (run_id, as_of, schemas) values (%s, %s, %s)", (run_id, as_of, schemas)
        )
    return schemas


def run_summary() -> str:
    """The night's summary (raw loads, dbt results, contracts, published tables), logged and returned."""
    from warehouse import summary

    connections.apply()
    text = summary.render(summary.collect(config.warehouse().url))
    log.info("%s", text)
    return text


class MartsNotPublishedError(RuntimeError):
    """This morning's marts are not as of last midnight: the night failed, never ran or is still running."""


def check_published_for_morning(context: Mapping[str, Any]) -> datetime.datetime:
    """The `as_of` of the newest publication; raise when none is as of this morning's midnight.

    The morning is the `check_marts_published` run's data interval: it starts at the local midnight and
    ends at the publish-by time. Publications are compared by what they are as of (the night's cut-off),
    not by when they happened, so a backfilled morning checks its own night.
    """
    midnight = _instant(context.get("data_interval_start")) or _instant(context.get("logical_date"))
    if midnight is None:
        raise ValueError("check_published_for_morning needs the run's data interval (run it from its DAG)")
    connections.apply()
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
        conn.execute(PUBLICATIONS_DDL)
        newest = conn.execute("select max(as_of) from audit.publications where as_of >= %s", (midnight,)).fetchone()[0]
        if newest is not None:
            log.info("the marts are as of %s (due: %s)", newest.isoformat(), midnight.isoformat())
            return newest
        last = conn.execute(
            "select run_id, as_of, published_at from audit.publications order by published_at desc limit 1"
        ).fetchone()
    previous = f"the last publication was run {last[0]}, as of {last[1]}, at {last[2]}" if last else "none ever was"
    raise MartsNotPublishedError(
        f"the marts BI reads are not as of {midnight.isoformat()}: no night published since ({previous}); "
        "see build_warehouse and the ingest_* DAGs"
    )
