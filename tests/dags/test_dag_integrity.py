"""The DAG folder parses cleanly, cheaply and by the team's policy (owner, tags, retries, docs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse import services

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
        }
        for dag_id, dag in bag.dags.items()
    },
}))
"""


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> dict:
    env = services.airflow_env("postgresql://nobody@127.0.0.1:1/unused", None, tmp_path_factory.mktemp("airflow"))
    dags = Path(env["AIRFLOW__CORE__DAGS_FOLDER"])
    result = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(dags)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_dag_folder_imports_without_errors(parsed: dict) -> None:
    assert parsed["import_errors"] == {}
    assert "smarketing_nightly" in parsed["dags"]


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


def test_the_nightly_dag_runs_the_skeleton_steps(parsed: dict) -> None:
    assert parsed["dags"]["smarketing_nightly"]["tasks"] == [
        "build_models",
        "extract_hubspot",
        "publish",
        "validate_contracts",
    ]
