"""Run the night's DAGs for one logical date as `airflow dags test` does, and tell whether each run succeeded.

`run_night` = set up Airflow (metadata, pools, the dbt manifest the warehouse DAG is loaded from), then every
ingestion DAG, then `build_warehouse`, in that order, for the same logical date.
"""

from __future__ import annotations

import json
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
    """A DAG run of the night did not succeed."""


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
    pools_file = Path(env["AIRFLOW_HOME"]) / "smarketing_pools.json"
    pools_file.write_text(json.dumps(pools(env), indent=2))
    subprocess.run(  # one command for every pool: each Airflow CLI call costs seconds of start-up
        [_airflow(), "pools", "import", str(pools_file)], env=env, stdout=log, stderr=subprocess.STDOUT, check=True
    )
    generate_manifest(env, log)


def pools(env: dict[str, str]) -> dict[str, dict[str, object]]:
    """`{<source>_api: {slots, description}}` for `airflow pools import`, one per ingestion DAG's source."""
    result = {}
    for dag_id in ingestion_dag_ids():
        source = dag_id.removeprefix("ingest_")
        result[f"{source}_api"] = {
            "slots": int(env.get(f"SMARKETING_POOL_SLOTS_{source.upper()}", DEFAULT_POOL_SLOTS)),
            "description": f"{source} API: its stream tasks share one credential's rate budget",
        }
    return result


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


def run_dags(env: dict[str, str], dag_ids: list[str], logical_date: str, log_path: Path) -> None:
    """Run `dag_ids` in order for `logical_date` (`dag.test()`, as `airflow dags test` does, but in one process:
    see `warehouse.dag_runner`); raise NightFailedError at the first run that does not succeed."""
    result = log_path.with_suffix(".states.json")
    result.unlink(missing_ok=True)
    with open(log_path, "a") as log:
        log.write(f"\n===== dag.test {logical_date}: {' '.join(dag_ids)} =====\n")
        log.flush()
        subprocess.run(
            [sys.executable, "-m", "warehouse.dag_runner", "--result", str(result), logical_date, *dag_ids],
            # Airflow 3.3.2's `dag.test()` fails at the end of a run of a DAG with a DeadlineAlert: leave it off.
            env={**env, "SMARKETING_BUILD_DEADLINE_MINUTES": "0"},
            stdout=log,
            stderr=subprocess.STDOUT,
            check=False,
        )
    states = json.loads(result.read_text()) if result.is_file() else {}
    for dag_id in dag_ids:
        state = states.get(dag_id, "not run: the runner stopped before it")
        if state != "success":
            raise NightFailedError(
                f"the {dag_id} run ended {state}; the task log is in {log_path}:\n{_failure_excerpt(log_path)}"
            )


def run_night(env: dict[str, str], logical_date: str, log_path: Path, dag_ids: list[str] | None = None) -> None:
    """Set up, then run the ingestion DAGs and the warehouse DAG for `logical_date`, stopping at a failure."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        setup(env, log)
    run_dags(env, dag_ids or night_dag_ids(), logical_date, log_path)


def _failure_excerpt(log_path: Path) -> str:
    """The exception lines of the failed task, without Airflow's framing."""
    lines = log_path.read_text().splitlines()
    errors = [line for line in lines if "Error" in line or "Broken" in line or "FAIL" in line]
    return "\n".join(errors[-15:])
