"""Nights after a 1% change vs a full build, at 100,000 contacts (the dbt issue's target: the nightly run
after a 1% change builds in a small fraction of a full build).

Run: `.venv/bin/python bench/incremental_build.py [--scale 100000] [--seed 42] [--share 0.01]`. In a scratch
database on the embedded Postgres (or the server of WAREHOUSE_URL), loads the sandbox's HubSpot and ad data
at that scale into raw (not timed), then:
1. times a full `dbt build` (`warehouse.nightly.build_models`: nothing published yet, nothing to carry) and
   publishes it;
2. writes a new version of `--share` of the records of every HubSpot raw table in a new load batch, as a
   night's extraction would (lead score and `updatedAt` moved), not timed;
3. times night 1, which copies the published incremental tables (there is no generation before the published
   one yet, as after a broken night) and rebuilds only the changed records, and publishes it;
4. writes another `--share` of changes, and times night 2, the steady state: it moves the generation before
   the published one into its build (no copy) and catches up on both days' changes; then times a full build
   of the same data (carrying switched off) to compare;
5. checks that night 2 and the full build made identical incremental tables.
Prints the nights' times with where they went (the preparation, which copies or moves the carried tables;
dbt's start-up and parsing; models, tests, unit tests and seeds), the incremental models' own times and three
ratios of night 2 to the full build: for the incremental models (their dbt times plus the preparation), for
building every model (plus the preparation), and for the whole night's build (tests and dbt's start-up
included); night 1's whole-night ratio; and the disk the generation kept for night 2 takes. The full build is
what a night with SMARKETING_INCREMENTAL=off runs: no table carried, the unit tests run. The scratch database
is dropped afterwards. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from dataclasses import dataclass

import psycopg
from _scratch import scratch_database  # bench/ is on sys.path when a script runs
from contracts_vs_build import load_raw

from warehouse.config import LOCAL_DIR
from warehouse.incremental import incremental_models

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


@dataclass
class Build:
    """One timed `build_models`: wall seconds (preparation and dbt's start-up included), the preparation
    (`prepare_build`: fresh build schemas and the carried tables moved or copied) and what it decided, dbt's own
    run (`elapsed`: from its first node to its last), node seconds summed by resource type, and each model's."""

    seconds: float
    preparation: float
    plan: object  # warehouse.nightly.BuildPlan
    elapsed: float
    by_type: dict[str, float]
    models: dict[str, float]

    def model_seconds(self, names: set[str] | None = None) -> float:
        return sum(seconds for name, seconds in self.models.items() if names is None or name in names)


def timed_build(as_of: str, label: str) -> Build:
    """Time one night's `build_models`; dbt's run results are kept as `run_results.<label>.json` in the target
    folder, for a look at where the time went."""
    from warehouse import nightly
    from warehouse.dbt import target_dir

    prepare_build = nightly.prepare_build
    preparation = 0.0
    plan = None

    def timed_preparation(night_as_of: str) -> nightly.BuildPlan:
        nonlocal preparation, plan
        started = time.perf_counter()
        plan = prepare_build(night_as_of)
        preparation = time.perf_counter() - started
        return plan

    nightly.prepare_build = timed_preparation
    try:
        started = time.perf_counter()
        nightly.build_models(as_of)
        seconds = time.perf_counter() - started
    finally:
        nightly.prepare_build = prepare_build
    text = (target_dir() / "run_results.json").read_text()
    (target_dir() / f"run_results.{label}.json").write_text(text)
    run = json.loads(text)
    by_type: dict[str, float] = {}
    for result in run["results"]:
        kind = result["unique_id"].split(".")[0]
        by_type[kind] = by_type.get(kind, 0.0) + result["execution_time"]
    models = {
        r["unique_id"].rpartition(".")[2]: r["execution_time"]
        for r in run["results"]
        if r["unique_id"].startswith("model.")
    }
    return Build(seconds, preparation, plan, run["elapsed_time"], by_type, models)


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


def schema_bytes(url: str) -> dict[str, int]:
    """Bytes on disk (indexes included) of the published layers and of the generation kept for the next night."""
    from warehouse.incremental import PREVIOUS_PREFIX
    from warehouse.publish import LAYERS

    published, previous = list(LAYERS), [PREVIOUS_PREFIX + layer for layer in LAYERS]
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "select case when nspname = any(%s) then 'published' else 'previous' end,"
                " sum(pg_total_relation_size(pg_class.oid))::bigint"
                " from pg_class join pg_namespace on pg_namespace.oid = relnamespace"
                " where relkind = 'r' and nspname = any(%s) group by 1",
                (published, published + previous),
            ).fetchall()
        )


def next_as_of() -> str:
    """A night's `as_of`: a moment after every change written so far."""
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)).isoformat()


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
        first = timed_build(datetime.datetime.now(datetime.UTC).isoformat(), "first")
        nightly.publish()
        changed = change_records(url, args.share)
        copying = timed_build(next_as_of(), "copying")
        nightly.publish()
        changed_again = change_records(url, args.share)
        disk = schema_bytes(url)

        as_of = next_as_of()
        night = timed_build(as_of, "incremental")
        night_digest = incremental_digest(url)
        os.environ["SMARKETING_INCREMENTAL"] = "off"
        full = timed_build(as_of, "full")
        full_digest = incremental_digest(url)
        os.environ["SMARKETING_INCREMENTAL"] = "on"

    incremental_names = {model.name for model in incremental_models()}
    print(
        f"records changed in raw ({args.share:.0%} of each HubSpot table, each day): "
        f"{sum(changed.values()):,} and {sum(changed_again.values()):,}"
    )
    print(f"first full build: {first.seconds:.1f} s")
    print(
        f"disk before night 2: published layers {disk.get('published', 0) / 2**20:.0f} MB, the generation kept for"
        f" the next night {disk.get('previous', 0) / 2**20:.0f} MB"
    )
    print(
        f"night 1, copying the published tables: {copying.seconds:.1f} s (preparation {copying.preparation:.2f} s,"
        f" {len(copying.plan.carried) - len(copying.plan.moved)} tables copied), "
        f"whole-night ratio {copying.seconds / full.seconds:.2f}"
    )
    print(
        f"night 2, moving the generation before: incremental {night.seconds:.1f} s, "
        f"full build of the same data {full.seconds:.1f} s"
    )
    print(f"  dbt's run (first node to last): incremental {night.elapsed:.1f} s, full {full.elapsed:.1f} s")
    print(
        f"  preparation (fresh build schemas; night 2 moved {len(night.plan.moved)} tables): "
        f"incremental {night.preparation:.2f} s, full {full.preparation:.2f} s"
    )
    print(
        "  dbt's start-up, parsing and wrap-up (the rest): "
        f"incremental {night.seconds - night.elapsed - night.preparation:.1f} s, "
        f"full {full.seconds - full.elapsed - full.preparation:.1f} s"
    )
    for kind in sorted(kind for kind, seconds in full.by_type.items() if seconds):
        print(
            f"  {kind} nodes, seconds summed over dbt's threads: incremental {night.by_type.get(kind, 0):.1f} s, "
            f"full {full.by_type[kind]:.1f} s"
        )
    for name in sorted(incremental_names):
        print(f"  {name}: incremental {night.models.get(name, 0):.2f} s, full {full.models[name]:.2f} s")
    same = night_digest == full_digest
    print(f"the incremental tables equal the full build's: {same}")
    print(
        "ratio for the incremental models (their dbt times, preparation included): "
        f"{(night.model_seconds(incremental_names) + night.preparation) / full.model_seconds(incremental_names):.2f}"
    )
    print(
        "ratio for building the models (every model's dbt time, preparation included): "
        f"{(night.model_seconds() + night.preparation) / full.model_seconds():.2f}"
    )
    print(f"ratio for the whole night's build (tests, start-up and all): {night.seconds / full.seconds:.2f}")
    moved_all = sorted(night.plan.moved) == sorted(incremental_names)
    if not moved_all:
        print(f"night 2 did not move every incremental table: moved {night.plan.moved}")
    return 0 if same and moved_all else 1


if __name__ == "__main__":
    raise SystemExit(main())
