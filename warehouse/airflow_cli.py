"""Run a DAG for one logical date with `airflow dags test`, and tell whether the run succeeded."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

DAG_ID = "smarketing_nightly"


class NightFailedError(RuntimeError):
    """`airflow dags test` finished but the DAG run did not succeed."""


def run_night(env: dict[str, str], logical_date: str, log_path: Path, dag_id: str = DAG_ID) -> None:
    """Migrate Airflow's metadata and run the nightly DAG once with `airflow dags test`."""
    airflow = str(Path(sys.executable).with_name("airflow"))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        subprocess.run([airflow, "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
        # Its exit code does not say whether the run succeeded (0 on some failures): the state below does.
        subprocess.run(
            [airflow, "dags", "test", dag_id, logical_date], env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    state = latest_run_state(Path(env["AIRFLOW_HOME"]) / "airflow.db", dag_id)
    if state != "success":
        raise NightFailedError(
            f"the {dag_id} run ended {state}; the task log is in {log_path}:\n{_failure_excerpt(log_path)}"
        )


def latest_run_state(metadata_db: Path, dag_id: str = DAG_ID) -> str:
    """`airflow dags test` exits 0 even when the run fails, so read the run's state from the metadata."""
    with sqlite3.connect(metadata_db) as db:
        row = db.execute("select state from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()
    return row[0] if row else "missing"


def _failure_excerpt(log_path: Path) -> str:
    """The exception lines of the failed task, without Airflow's framing."""
    lines = log_path.read_text().splitlines()
    errors = [line for line in lines if "Error" in line or "Broken" in line or "FAIL" in line]
    return "\n".join(errors[-15:])
