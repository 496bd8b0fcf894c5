"""A night after a 1% change vs a full build, at 100,000 contacts (the dbt issue's target: the nightly run
after a 1% change builds in a small fraction of a full build).

Run: `.venv/bin/python bench/incremental_build.py [--scale 100000] [--seed 42] [--share 0.01]`. In a scratch
database on the embedded Postgres (or the server of WAREHOUSE_URL), loads the sandbox's HubSpot and ad data
at that scale into raw (not timed), then:
1. times a full `dbt build` (`warehouse.nightly.build_models`: nothing published yet, nothing to carry) and
   publishes it;
2. writes a new version of `--share` of the records of every HubSpot raw table in a new load batch, as a
   night's extraction would (lead score and `updatedAt` moved), not timed;
3. times the next night's build, which carries the published incremental tables over and rebuilds
   only the changed records, and then a full build of the same data (carrying switched off) to compare;
4. checks that both builds made identical incremental tables, and times the copy of the published tables alone.
Prints both times, the incremental models' own times and two ratios incremental / full: for the incremental
models (their dbt times plus the copy) and for the whole build (every model, test and dbt's start-up). The scratch
database is dropped afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time

import psycopg
from _scratch import scratch_database  # bench/ is on sys.path when a script runs
from contracts_vs_build import load_raw

from warehouse.config import LOCAL_DIR

CHANGE_SQL = """
insert into raw.{table} (record_id, cursor_value, record, is_deleted, batch_id)
select
    record_id,
    cursor_value + interval '1 second',
    jsonb_set(
        jsonb_set(record, '{{updatedAt}}', to_jsonb(to_char(
            (cursor_value + interval '1 second') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'
        ))),
        '{{properties,hubspotscore}}',
        to_jsonb((coalesce((record #>> '{{properties,hubspotscore}}')::numeric, 0) + 1)::text)
    ),
    is_deleted,
    %(batch_id)s
from (
    select distinct on (record_id) *
    from raw.{table}
    order by record_id, cursor_value desc nulls last, batch_id desc
) as latest
where cursor_value is not null and mod(abs(hashtext(record_id)), 10000) < %(per_10000)s
"""


def change_records(url: str, share: float) -> dict[str, int]:
    """A new version of `share` of every HubSpot raw table's records, in one new finished batch per table."""
    changed = {}
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "select tablename from pg_tables where schemaname = 'raw' and tablename like 'hubspot\\_\\_%%'"
            )
        ]
        for table in tables:
            source, _, stream = table.partition("__")
            with conn.transaction():
                batch_id = conn.execute(
                    "insert into raw._batches (source, stream) values (%s, %s) returning batch_id", (source, stream)
                ).fetchone()[0]
                cursor = conn.execute(
                    CHANGE_SQL.format(table=table), {"batch_id": batch_id, "per_10000": round(share * 10_000)}
                )
                changed[table] = cursor.rowcount
                conn.execute(
                    "update raw._batches set status = 'succeeded', records = %s, finished_at = clock_timestamp()"
                    " where batch_id = %s",
                    (cursor.rowcount, batch_id),
                )
    return changed


def timed_build(as_of: str, label: str) -> tuple[float, dict[str, float]]:
    """Seconds of one `build_models` (preparation included) and the seconds of the incremental models and of
    dbt's own run (`elapsed`: from its first node to its last, without start-up and parsing). dbt's run results
    are kept as `run_results.<label>.json` in the target folder, for a look at where the time went."""
    from warehouse import incremental, nightly
    from warehouse.dbt import target_dir

    started = time.perf_counter()
    nightly.build_models(as_of)
    seconds = time.perf_counter() - started
    names = {f"model.smarketing.{model.name}" for model in incremental.incremental_models()}
    text = (target_dir() / "run_results.json").read_text()
    (target_dir() / f"run_results.{label}.json").write_text(text)
    run = json.loads(text)
    models = {r["unique_id"].rpartition(".")[2]: r["execution_time"] for r in run["results"] if r["unique_id"] in names}
    return seconds, {**models, "elapsed": run["elapsed_time"]}


def incremental_digest(url: str) -> dict[str, str]:
    """An order-independent digest of every incremental table of the build, lineage columns aside."""
    from warehouse import incremental
    from warehouse.publish import BUILD_PREFIX

    digests = {}
    with psycopg.connect(url) as conn:
        for model in incremental.incremental_models():
            schema = BUILD_PREFIX + model.layer
            columns = incremental.data_columns(conn, schema, model.name).as_string(conn)
            row_sql = f"row({columns})::text"
            digests[model.name] = conn.execute(
                f"select count(*) || ':' || coalesce(sum(hashtext({row_sql})::numeric), 0) from {schema}.{model.name}"
            ).fetchone()[0]
    return digests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--share", type=float, default=0.01)
    args = parser.parse_args()

    with scratch_database() as url:
        os.environ.update({"WAREHOUSE_URL": url, "DBT_TARGET_PATH": str(LOCAL_DIR / "bench" / url.rpartition("/")[2])})
        from warehouse import nightly

        load_raw(args.seed, args.scale)
        first_as_of = datetime.datetime.now(datetime.UTC)
        first_seconds, _ = timed_build(first_as_of.isoformat(), "first")
        nightly.publish()
        changed = change_records(url, args.share)

        as_of = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)).isoformat()
        incremental_seconds, incremental_models = timed_build(as_of, "incremental")
        night_digest = incremental_digest(url)
        os.environ["SMARKETING_INCREMENTAL"] = "off"
        full_seconds, full_models = timed_build(as_of, "full")
        full_digest = incremental_digest(url)
        os.environ["SMARKETING_INCREMENTAL"] = "on"
        started = time.perf_counter()
        carried = nightly.prepare_build(as_of)  # the copy alone (the published build is still the first one)
        copy_seconds = time.perf_counter() - started

    print(f"records changed in raw ({args.share:.0%} of each HubSpot table): {sum(changed.values()):,}")
    print(f"first full build: {first_seconds:.1f} s")
    print(f"night after the change, incremental: {incremental_seconds:.1f} s")
    print(f"full build of the same data: {full_seconds:.1f} s")
    print(
        f"  dbt's run itself (nodes, without start-up): incremental {incremental_models.pop('elapsed'):.1f} s, "
        f"full {full_models.pop('elapsed'):.1f} s"
    )
    for name in sorted(full_models):
        print(f"  {name}: incremental {incremental_models.get(name, 0):.2f} s, full {full_models[name]:.2f} s")
    print(f"  copying the {len(carried)} published tables into the build schemas: {copy_seconds:.2f} s")
    same = night_digest == full_digest
    print(f"the incremental tables equal the full build's: {same}")
    incremental_sum, full_sum = sum(incremental_models.values()), sum(full_models.values())
    print(
        f"ratio for the incremental models (their dbt times, copy included): "
        f"{(incremental_sum + copy_seconds) / full_sum:.2f}"
    )
    print(f"ratio incremental / full build, the whole night's build: {incremental_seconds / full_seconds:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
