"""The Cosmos configuration of the dbt task group: manifest-loaded, one dbt build per night by default."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from warehouse import config
from warehouse.dbt import AS_OF_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
# `python -m warehouse manifest` (run by `make demo`, `make ui` and the tests) writes it with `dbt parse`.
MANIFEST_PATH = Path(os.environ.get("DBT_TARGET_PATH") or DBT_PROJECT_DIR / "target") / "manifest.json"
# WATCHER: one `dbt build` process, per-model tasks follow its progress; LOCAL: one dbt process per model.
EXECUTION_MODE = config.choice("SMARKETING_DBT_EXECUTION_MODE", "watcher", config.DBT_EXECUTION_MODES)


class ManifestMissingError(FileNotFoundError):
    """The DAG is loaded from dbt's manifest, which is generated, not committed."""


def dbt_task_group(group_id: str, as_of_template: str, excluded_resource_types_template: str):
    """The night's dbt build as a task group; the templates render the night's `as_of` and the resource types
    it leaves out (the unit tests when the code did not change, warehouse/incremental.py)."""
    if not MANIFEST_PATH.is_file():
        raise ManifestMissingError(
            f"dbt manifest not found at {MANIFEST_PATH}: run `.venv/bin/python -m warehouse manifest` "
            "(`make demo`, `make ui` and `make test` do) or point DBT_TARGET_PATH at a target folder with one"
        )
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ExecutionMode,
        LoadMode,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import TestBehavior

    from warehouse import connections

    group = DbtTaskGroup(
        group_id=group_id,
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR, manifest_path=MANIFEST_PATH, project_name="smarketing"
        ),
        profile_config=ProfileConfig(
            profile_name="smarketing",
            target_name="build",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",  # reads SMARKETING_PG_*, set from the connection
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode(EXECUTION_MODE),
            dbt_executable_path=str(Path(sys.executable).with_name("dbt")),
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            # LOCAL: `dbt build` per model, its tests included. WATCHER: the producer's one `dbt build` runs the
            # tests after each model anyway; Cosmos renders them as one sensor per model's tests.
            test_behavior=TestBehavior.BUILD if EXECUTION_MODE == "local" else TestBehavior.AFTER_EACH,
        ),
        operator_args={
            "env": {AS_OF_ENV: as_of_template, "DBT_EXCLUDE_RESOURCE_TYPES": excluded_resource_types_template},
            "install_deps": False,  # no dbt packages (see the README)
            "append_env": True,
            "emit_datasets": False,  # our own Assets name the tables; Cosmos' URIs depend on the host
            "pre_execute": connections.apply_for_dbt,
            "callback": "warehouse.orchestration.keep_run_results",  # resolved at run time (imports psycopg)
        },
    )
    if EXECUTION_MODE == "watcher":
        _start_consumers_after_the_producer(group)
    return group


def _start_consumers_after_the_producer(group) -> None:
    """The producer's `dbt build` first, then the per-model tasks read its results.

    Cosmos leaves the consumers free to start beside the producer (they defer until its events come). Under
    `airflow dags test`, which runs one task at a time, a consumer that starts first waits for a producer
    that never runs. The price elsewhere: per-model tasks turn green when the whole build is done, not
    while it runs; the night still runs one dbt process.
    """
    tasks = {task.task_id: task for task in group.iter_tasks()}
    producer = tasks.pop(f"{group.group_id}.dbt_producer_watcher")
    tasks.pop(f"{group.group_id}.dbt_producer_watcher_done", None)
    for task in tasks.values():
        if not any(upstream.startswith(f"{group.group_id}.") for upstream in task.upstream_task_ids):
            producer >> task
