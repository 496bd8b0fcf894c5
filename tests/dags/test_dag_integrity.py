"""The DAG folder parses cleanly, cheaply and by the team's policy (owner, tags, retries, docs)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from extractors.runner import SOURCES
from warehouse import services
from warehouse.airflow_cli import DAGS_DIR, generate_manifest

# Runs in a fresh interpreter so that the parse sees only what the DAG files themselves import.
PARSE_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])  # as Airflow's processes do: the DAG folder is importable
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
# (Cosmos is left out: Airflow itself loads it as a plugin.)
heavy = sorted(name for name in ("great_expectations", "dbt", "psycopg", "requests") if name in sys.modules)
print(json.dumps({
    "import_errors": {str(path): str(error) for path, error in bag.import_errors.items()},
    "heavy_modules": heavy,
    "dags": {
        dag_id: {
            "fileloc": dag.fileloc,
            "owner": dag.default_args.get("owner"),
            "retries": dag.default_args.get("retries"),
            "tags": sorted(dag.tags),
            "doc_md": dag.doc_md or "",
            "tasks": sorted(task.task_id for task in dag.tasks),
            "pools": {task.task_id: task.pool for task in dag.tasks},
            "outlets": {task.task_id: sorted(o.name for o in task.outlets) for task in dag.tasks},
            "upstream": {task.task_id: sorted(task.upstream_task_ids) for task in dag.tasks},
            "schedule_assets": sorted(
                getattr(asset, "name", "")
                for asset in getattr(getattr(dag.timetable, "asset_condition", None), "objects", [])
            ),
            "backoff": {task.task_id: task.retry_exponential_backoff for task in dag.tasks},
            "has_failure_callback": all(task.on_failure_callback for task in dag.tasks),
            "timetable": type(dag.timetable).__name__,
            "cron": getattr(dag.timetable, "expression", None),
        }
        for dag_id, dag in bag.dags.items()
    },
}))
"""


def parse(env: dict[str, str]) -> dict:
    dags = Path(env["AIRFLOW__CORE__DAGS_FOLDER"])
    result = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(dags)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parse_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    # An unreachable warehouse: parsing must not touch it.
    env = services.airflow_env("postgresql://nobody@127.0.0.1:1/unused", None, tmp_path_factory.mktemp("airflow"))
    env["DBT_TARGET_PATH"] = str(tmp_path_factory.mktemp("dbt-target"))
    env["SMARKETING_PUBLISH_BY"] = "06:45"
    generate_manifest(env)
    return env


@pytest.fixture(scope="module")
def parsed(parse_env: dict[str, str]) -> dict:
    return parse(parse_env)


def test_the_dag_folder_imports_without_errors(parsed: dict) -> None:
    assert parsed["import_errors"] == {}
    assert set(parsed["dags"]) == {f"ingest_{source}" for source in SOURCES} | {
        "build_warehouse",
        "check_marts_published",
    }


def test_parsing_imports_neither_dbt_nor_great_expectations_nor_database_drivers(parsed: dict) -> None:
    assert parsed["heavy_modules"] == []


def test_every_dag_has_an_owner_tags_retries_and_docs(parsed: dict) -> None:
    for dag_id, dag in parsed["dags"].items():
        assert dag["owner"] and dag["owner"] != "airflow", dag_id
        assert dag["tags"], dag_id
        assert isinstance(dag["retries"], int) and dag["retries"] >= 1, dag_id
        assert len(dag["doc_md"]) > 100, dag_id


def test_each_dag_id_matches_its_file_name(parsed: dict) -> None:
    for dag_id, dag in parsed["dags"].items():
        assert Path(dag["fileloc"]).stem == dag_id


def _import_shared() -> ModuleType:
    """`dags/_shared`, imported as Airflow does (the DAG folder on the path)."""
    sys.path.insert(0, str(DAGS_DIR))
    try:
        return importlib.import_module("_shared")
    finally:
        sys.path.remove(str(DAGS_DIR))


def test_the_dags_registry_declares_exactly_the_extractors_streams() -> None:
    SOURCE_STREAMS = _import_shared().SOURCE_STREAMS  # noqa: N806 (the registry's own name)
    assert set(SOURCE_STREAMS) == set(SOURCES)
    for source, specs in SOURCE_STREAMS.items():
        declared = importlib.import_module(f"extractors.{source}.streams").STREAMS
        assert [(spec.name, spec.parent) for spec in specs] == [(s.name, s.parent) for s in declared], source


def test_each_ingestion_dag_has_one_pooled_task_per_stream_updating_its_raw_table(parsed: dict) -> None:
    for source in SOURCES:
        dag = parsed["dags"][f"ingest_{source}"]
        streams = importlib.import_module(f"extractors.{source}.streams").STREAMS
        assert dag["tasks"] == sorted(stream.name for stream in streams)
        for stream in streams:
            assert dag["outlets"][stream.name] == [f"raw.{stream.table}"]
            assert dag["pools"][stream.name] == f"{source}_api"
            if stream.parent:
                assert dag["upstream"][stream.name] == [stream.parent]


def test_the_warehouse_dag_waits_for_every_raw_table_then_builds_validates_publishes_summarises(parsed: dict) -> None:
    dag = parsed["dags"]["build_warehouse"]
    raw = sorted(
        f"raw.{stream.table}"
        for source in SOURCES
        for stream in importlib.import_module(f"extractors.{source}.streams").STREAMS
    )
    assert dag["schedule_assets"] == raw
    assert {"resolve_as_of", "prepare_build", "validate_contracts", "publish", "run_summary"} <= set(dag["tasks"])
    assert "dbt.dbt_producer_watcher" in dag["tasks"]  # WATCHER: one dbt build per night
    assert any(task.startswith("dbt.weekly_review") for task in dag["tasks"])
    assert dag["upstream"]["publish"] == ["resolve_as_of", "validate_contracts"]
    assert dag["upstream"]["run_summary"] == ["publish"]
    assert dag["outlets"]["publish"] == ["marts"]


def test_every_task_retries_with_exponential_backoff_and_alerts_on_failure(parsed: dict) -> None:
    for dag_id, dag in parsed["dags"].items():
        assert dag["has_failure_callback"], dag_id
        assert all(backoff == 2.0 for backoff in dag["backoff"].values()), dag_id


def test_without_a_dbt_manifest_the_warehouse_dag_fails_to_import_saying_how_to_make_one(
    parse_env: dict[str, str], tmp_path: Path
) -> None:
    result = parse({**parse_env, "DBT_TARGET_PATH": str(tmp_path)})
    (error,) = result["import_errors"].values()
    assert "dbt manifest not found" in error and "python -m warehouse manifest" in error
    assert "ingest_hubspot" in result["dags"]


def test_the_morning_check_runs_on_a_cron_at_the_publish_by_time_not_on_assets(parsed: dict) -> None:
    dag = parsed["dags"]["check_marts_published"]
    assert dag["timetable"] == "CronTriggerTimetable"
    assert dag["cron"] == "45 6 * * *"  # SMARKETING_PUBLISH_BY=06:45 in parse_env
    assert dag["tasks"] == ["marts_are_as_of_this_morning"]
