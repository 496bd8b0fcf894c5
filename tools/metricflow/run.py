"""Run MetricFlow (`mf`) against the warehouse, from its own tool environment.

    .venv/bin/python tools/metricflow/run.py [--schemas published|build] <mf arguments>
    e.g. ... run.py query --metrics mqls,cost_per_mql --group-by metric_time__week,channel

Why a separate environment: dbt-metricflow 0.15 pins structlog<26, which would pull Airflow back from 3.3.2
to 3.3.0 in the main lock, so it lives in `.venv-metricflow` (tools/metricflow/requirements.lock, same
dbt-core and dbt-postgres versions as the main lock). This script runs in the main `.venv` (it reuses
warehouse/dbt.py's profile settings) and calls the tool environment's `dbt` and `mf`.

Two things `mf` cannot be told, handled here:
- it reads `<project>/target/semantic_manifest.json`, whatever `DBT_TARGET_PATH` says, so it runs in a private
  copy of the project under `.local/metricflow/project/` (symlinks to dbt_project/ plus its own target/),
  never touching the `dbt_project/target/` that the pipeline and other runs use;
- dbt names the schemas of the build (`build_marts`, ...), which publish renames to `marts`, ...; the semantic
  manifest is rewritten the same way (`--schemas published`, the default), or left on the build schemas
  (`--schemas build`) to look at a night that did not publish.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # run as a script: make `warehouse` importable without the .pth file
    sys.path.insert(0, str(REPO_ROOT))

from warehouse import config  # noqa: E402
from warehouse.dbt import BUILD_SCHEMA, dbt_env  # noqa: E402

# Kept in step with warehouse/publish.py (LAYERS, BUILD_PREFIX); importing it would need psycopg here too,
# and tests/metrics checks that they agree.
PUBLISHED_LAYERS = ("staging", "glossary", "intermediate", "marts")
BUILD_PREFIX = "build_"

TOOL_VENV = Path(os.environ.get("METRICFLOW_VENV", REPO_ROOT / ".venv-metricflow"))
PROJECT_COPY = Path(os.environ.get("METRICFLOW_PROJECT_COPY", config.LOCAL_DIR / "metricflow" / "project"))
# What dbt writes into a project folder: the copy keeps its own instead of sharing dbt_project's.
NOT_LINKED = {"target", "logs", "dbt_packages", ".user.yml"}


class ToolEnvironmentMissingError(RuntimeError):
    """The MetricFlow tool environment is not installed."""


def tool_binary(name: str) -> Path:
    """A program of the tool environment; say how to create the environment when it is missing."""
    path = TOOL_VENV / "bin" / name
    if not path.exists():
        raise ToolEnvironmentMissingError(
            f"{path} not found: create the MetricFlow tool environment with `make metrics` "
            f"(or: uv venv {TOOL_VENV} && uv pip sync --python {TOOL_VENV}/bin/python "
            "tools/metricflow/requirements.lock)"
        )
    return path


def link_project(source: Path, copy: Path) -> Path:
    """Make `copy` a dbt project that reads `source`'s files (symlinks) but writes its own target/ and logs/."""
    copy.mkdir(parents=True, exist_ok=True)
    wanted = {entry.name for entry in source.iterdir() if entry.name not in NOT_LINKED}
    for entry in copy.iterdir():
        if entry.is_symlink() and entry.name not in wanted:
            entry.unlink()  # a file removed from the project since the last run
    for name in sorted(wanted):
        link = copy / name
        if not link.is_symlink():
            link.symlink_to(source / name)
    return copy


def published_relation(relation: dict[str, object], layers: Iterable[str] = PUBLISHED_LAYERS) -> dict[str, object]:
    """The node relation of a published table: `build_<layer>` becomes `<layer>`, as publish renames it."""
    schema = str(relation["schema_name"])
    layer = schema.removeprefix(BUILD_PREFIX)
    if not schema.startswith(BUILD_PREFIX) or layer not in set(layers):
        return relation
    database, alias = relation.get("database"), str(relation["alias"])
    parts = [part for part in (database, layer, alias) if part]
    return {**relation, "schema_name": layer, "relation_name": ".".join(f'"{part}"' for part in parts)}


def point_at_published_schemas(manifest: dict) -> dict:
    """Every node relation of a semantic manifest (semantic models, time spines) on the published schemas."""
    semantic_models = [
        {**model, "node_relation": published_relation(model["node_relation"])} for model in manifest["semantic_models"]
    ]
    configuration = manifest["project_configuration"]
    time_spines = [
        {**spine, "node_relation": published_relation(spine["node_relation"])}
        for spine in configuration.get("time_spines", [])
    ]
    tables = [  # the legacy form (a `location` "schema.table"), empty with a time spine model
        {**table, "location": _published_location(table["location"])}
        for table in configuration.get("time_spine_table_configurations", [])
    ]
    return {
        **manifest,
        "semantic_models": semantic_models,
        "project_configuration": {
            **configuration,
            "time_spines": time_spines,
            "time_spine_table_configurations": tables,
        },
    }


def _published_location(location: str) -> str:
    schema, _, table = location.rpartition(".")
    relation = published_relation({"schema_name": schema, "alias": table, "database": None})
    return f"{relation['schema_name']}.{table}" if schema else location


def tool_env(project: Path) -> dict[str, str]:
    """warehouse/dbt.py's profile settings (WAREHOUSE_URL), pointed at the project copy."""
    return {
        **dbt_env(BUILD_SCHEMA),
        "DBT_PROJECT_DIR": str(project),
        "DBT_PROFILES_DIR": str(project),
        "DBT_TARGET_PATH": str(project / "target"),
        "DBT_LOG_PATH": str(project / "logs"),
    }


def parse_semantic_manifest(project: Path, env: dict[str, str], schemas: str) -> Path:
    """`dbt parse` in the project copy; return its semantic manifest, on the schemas asked for."""
    result = subprocess.run(
        [str(tool_binary("dbt")), "parse", "--quiet"], cwd=project, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"dbt parse failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
    path = project / "target" / "semantic_manifest.json"
    if schemas == "published":
        path.write_text(json.dumps(point_at_published_schemas(json.loads(path.read_text())), indent=2))
    return path


def run_mf(mf_args: Sequence[str], schemas: str = "published") -> int:
    """Prepare the project copy and its semantic manifest, then run `mf <mf_args>` there."""
    tool_python = tool_binary("python")  # before starting anything: say first when the environment is missing
    os.environ["WAREHOUSE_URL"] = ensure_warehouse_url()
    project = link_project(config.DBT_PROJECT_DIR, PROJECT_COPY)
    env = tool_env(project)
    parse_semantic_manifest(project, env, schemas)
    argv = [str(tool_python), str(Path(__file__).with_name("mf_cli.py")), *mf_args]
    return subprocess.run(argv, cwd=project, env=env, check=False).returncode


def ensure_warehouse_url() -> str:
    """WAREHOUSE_URL, else the embedded Postgres of this checkout (started if needed), as `make demo` uses."""
    if os.environ.get("WAREHOUSE_URL"):
        return config.warehouse().url
    from warehouse import services

    return services.ensure_warehouse()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(add_help=False)  # -h/--help go to mf
    parser.add_argument(
        "--schemas",
        choices=("published", "build"),
        default="published",
        help="query the published schemas (marts, ...; default) or the last night's build_* schemas",
    )
    args, mf_args = parser.parse_known_args(argv)
    try:
        return run_mf(mf_args or ["--help"], args.schemas)
    except ToolEnvironmentMissingError as missing:
        print(missing, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
