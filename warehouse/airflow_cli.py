"""Run the night's DAGs for one logical date with `airflow dags test`, and tell whether each run succeeded.

`run_night` = set up Airflow (metadata, pools, the dbt manifest the warehouse DAG is loaded from), then every
ingestion DAG, then `build_warehouse`, in that order, for the same logical date.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from warehouse import config

DAGS_DIR = config.REPO_ROOT / "dags"
WAREHOUSE_DAG = "build_warehouse"
# One pool per API credential: a source's stream tasks share its rate budget, so they queue for one slot.
# `SMARKETING_POOL_SLOTS_<SOURCE>` raises it for an API whose budget is per endpoint rather than per token.
DEFAULT_POOL_SLOTS = 1


class NightFailedError(RuntimeError):
    """`airflow dags test` finished but the DAG run did not succeed."""


def ingestion_dag_ids() -> list[str]:
    """`ingest_<source>` for every ingestion DAG file (one per source in `extractors.runner.SOURCES`)."""
    return [path.stem for path in sorted(DAGS_DIR.glob("ingest_*.py"))]


def night_dag_ids() -> list[str]:
    return [*ingestion_dag_ids(), WAREHOUSE_DAG]


def _airflow() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def setup(env: dict[str, str], log: object) -> None:
    """Airflow metadata migrated, one pool per API credential, and the dbt manifest the DAG is loaded from."""
    subprocess.run([_airflow(), "db", "migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, check=True)
    for dag_id in ingestion_dag_ids():
        source = dag_id.removeprefix("ingest_")
        slots = env.get(f"SMARKETING_POOL_SLOTS_{source.upper()}", str(DEFAULT_POOL_SLOTS))
        description = f"{source} API: its stream tasks share one credential's rate budget"
        subprocess.run(
            [_airflow(), "pools", "set", f"{source}_api", slots, description],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            check=True,
        )
    generate_manifest(env, log)


def generate_manifest(env: dict[str, str], log: object = None) -> Path:
    """`dbt parse` into DBT_TARGET_PATH (default dbt_project/target): build_warehouse is loaded from it.

    dbt parse needs no database; the profile's variables only have to be set.
    """
    target = Path(env.get("DBT_TARGET_PATH") or config.DBT_PROJECT_DIR / "target")
    dbt_env = {
        **env,
        "DBT_PROFILES_DIR": str(config.DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(target / "logs"),
        **{
            key: env.get(key, "unused")
            for key in ("SMARKETING_PG_HOST", "SMARKETING_PG_USER", "SMARKETING_PG_DATABASE")
        },
        "SMARKETING_PG_PORT": env.get("SMARKETING_PG_PORT", "5432"),
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    result = subprocess.run(
        [dbt, "parse", "--target-path", str(target)],
        cwd=config.DBT_PROJECT_DIR,
        env=dbt_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if log is not None:
        log.write(result.stdout + result.stderr)  # type: ignore[attr-defined]
    if result.returncode != 0:
        raise NightFailedError(
            f"dbt parse failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-3000:]}"
        )
    return target / "manifest.json"


def run_dag(env: dict[str, str], dag_id: str, logical_date: str, log_path: Path) -> None:
    """One DAG run with `airflow dags test`; raise NightFailedError unless it succeeded."""
    with open(log_path, "a") as log:
        log.write(f"\n===== airflow dags test {dag_id} {logical_date} =====\n")
        log.flush()
        # Its exit code does not say whether the run succeeded (0 on some failures): the state below does.
        subprocess.run(
            [_airflow(), "dags", "test", dag_id, logical_date],
            # Airflow 3.3.2's `dags test` fails at the end of a run of a DAG with a DeadlineAlert: leave it off.
            env={**env, "SMARKETING_BUILD_DEADLINE_MINUTES": "0"},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    state = latest_run_state(Path(env["AIRFLOW_HOME"]) / "airflow.db", dag_id)
    if state != "success":
        raise NightFailedError(
            f"the {dag_id} run ended {state}; the task log is in {log_path}:\n{_failure_excerpt(log_path)}"
        )


def run_night(env: dict[str, str], logical_date: str, log_path: Path, dag_ids: list[str] | None = None) -> None:
    """Set up, then run the ingestion DAGs and the warehouse DAG for `logical_date`, stopping at a failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        setup(env, log)
    for dag_id in dag_ids or night_dag_ids():
        run_dag(env, dag_id, logical_date, log_path)


def latest_run_state(metadata_db: Path, dag_id: str) -> str:
    """`airflow dags test` exits 0 even when the run fails, so read the run's state from the metadata."""
    with sqlite3.connect(metadata_db) as db:
        row = db.execute("select state from dag_run where dag_id = ? order by id desc limit 1", (dag_id,)).fetchone()
    return row[0] if row else "missing"


def _failure_excerpt(log_path: Path) -> str:
    """The exception lines of the failed task, without Airflow's framing."""
    lines = log_path.read_text().splitlines()
    errors = [line for line in lines if "Error" in line or "Broken" in line or "FAIL" in line]
    return "\n".join(errors[-15:])
