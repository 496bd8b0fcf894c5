"""Run dbt against the warehouse: the connection comes from WAREHOUSE_URL, artefacts go where asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from warehouse import config

BUILD_SCHEMA = "build"


class DbtError(RuntimeError):
    """dbt exited non-zero; the message carries the end of its output."""


# The environment variable the dbt project reads the night's `as_of` from (macros/reporting_calendar.sql).
AS_OF_ENV = "SMARKETING_AS_OF"


def dbt_env(target_schema: str = BUILD_SCHEMA, as_of: str | None = None) -> dict[str, str]:
    """Environment for a dbt process: profile values from WAREHOUSE_URL, the night's `as_of` when given (else
    the caller's SMARKETING_AS_OF, if any, or now), nothing sent anywhere."""
    settings = config.warehouse()
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(config.DBT_PROJECT_DIR),
        "DBT_PROJECT_DIR": str(config.DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_LOG_PATH": str(target_dir() / "logs"),
        "SMARKETING_PG_HOST": settings.host,
        "SMARKETING_PG_PORT": str(settings.port),
        "SMARKETING_PG_USER": settings.user,
        "SMARKETING_PG_PASSWORD": str(settings.password),
        "SMARKETING_PG_DATABASE": settings.database,
        "SMARKETING_TARGET_SCHEMA": target_schema,
        **({AS_OF_ENV: as_of} if as_of else {}),
    }


def target_dir() -> Path:
    """Where dbt writes manifest and run results (`DBT_TARGET_PATH`, so parallel runs can keep apart)."""
    return Path(os.environ.get("DBT_TARGET_PATH") or config.DBT_PROJECT_DIR / "target")


def run_dbt(
    *args: str, target_schema: str = BUILD_SCHEMA, as_of: str | None = None, env: dict[str, str] | None = None
) -> str:
    """Run `dbt <args>` in the project folder, as of `as_of` when given, with `env` added to its environment,
    and return its output; raise DbtError on failure."""
    argv = [str(Path(sys.executable).with_name("dbt")), *args, "--target-path", str(target_dir())]
    result = subprocess.run(
        argv,
        cwd=config.DBT_PROJECT_DIR,
        env={**dbt_env(target_schema, as_of), **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise DbtError(f"dbt {' '.join(args)} failed (exit {result.returncode}):\n{output[-4000:]}")
    return output


def dbt_result_counts() -> dict[str, int]:
    """Results of the last dbt invocation by kind and status, e.g. {"model success": 4, "test pass": 12}."""
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    counts: dict[str, int] = {}
    for result in results:
        key = f"{result['unique_id'].split('.', 1)[0]} {result['status']}"
        counts[key] = counts.get(key, 0) + 1
    return counts
