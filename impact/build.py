"""Build the base and head projects on the same raw data into separate schemas.

The base is built whole (and kept: a second report on the same base and raw data reuses it). The head is
built with `state:modified+ --defer --state <base target>`: only changed nodes and their children are
rebuilt, every other ref reads the base's relation. Unchanged relations are then exposed in the head
schemas as views on the base's, so the contracts can read a complete head without rebuilding it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from impact.project import project_files
from warehouse import config
from warehouse.dbt import dbt_env

# Tests and unit tests are left out of impact builds: a failing test would skip the children whose numbers
# the report compares. The contracts (validated on both sides) are the gate.
EXCLUDE_TESTS = ("--exclude", "resource_type:test", "resource_type:unit_test")
BUILT_TYPES = frozenset({"model", "seed", "snapshot"})


class BuildError(RuntimeError):
    """dbt failed; the message carries the end of its output."""


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its project copy, dbt target folder and target schema."""

    name: str  # "base" or "head"
    project: Path
    target: Path
    schema: str  # dbt target schema; layers land in `<schema>_<layer>`

    @property
    def schema_prefix(self) -> str:
        return f"{self.schema}_"

    def manifest(self) -> dict[str, Any]:
        return json.loads((self.target / "manifest.json").read_text())

    def has_manifest(self) -> bool:
        return (self.target / "manifest.json").is_file()


@dataclass
class HeadBuild:
    """What the head build did: its selection, whether it fell back to a full build, and why."""

    selection: list[str]
    rebuilt: list[str] = field(default_factory=list)  # unique ids of the nodes dbt built for the head
    full_build: bool = False
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_dbt(side: Side, *args: str, as_of: str | None = None) -> str:
    """Run `dbt <args>` for one side's project copy, as of `as_of`; raise BuildError on failure."""
    env = {
        **dbt_env(side.schema, as_of),
        "DBT_PROFILES_DIR": str(side.project),
        "DBT_PROJECT_DIR": str(side.project),
        "DBT_LOG_PATH": str(side.target / "logs"),
    }
    argv = [str(Path(sys.executable).with_name("dbt")), *args, "--target-path", str(side.target)]
    result = subprocess.run(argv, cwd=side.project, env=env, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise BuildError(
            f"dbt {' '.join(args)} failed for the {side.name} (exit {result.returncode}):\n{output[-4000:]}"
        )
    return output


def drop_schemas(url: str, schema: str) -> None:
    """Drop `<schema>_*` (every layer of one side), so a build starts from nothing."""
    pattern = schema.replace("_", r"\_") + r"\_%"
    with psycopg.connect(url, autocommit=True) as conn:
        names = conn.execute("select nspname from pg_namespace where nspname like %s", (pattern,)).fetchall()
        for (name,) in names:
            conn.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(name)))


def raw_fingerprint(url: str) -> list[tuple[str, int]]:
    """Row counts of the raw tables: raw is append-only, so equal counts mean the same raw data."""
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' order by table_name"
        ).fetchall()
        return [
            (name, conn.execute(sql.SQL("select count(*) from raw.{}").format(sql.Identifier(name))).fetchone()[0])
            for (name,) in tables
        ]


def cache_key(project: Path, url: str) -> str:
    digest = hashlib.sha256()
    for path, content in project_files(project).items():
        digest.update(path.encode() + b"\0" + hashlib.sha256(content).digest())
    digest.update(json.dumps([config.warehouse().database, raw_fingerprint(url)]).encode())
    return digest.hexdigest()


@dataclass
class BaseBuild:
    key: str
    as_of: str
    reused: bool = False
    seconds: float = 0.0
    contracts: list[dict[str, Any]] | None = None  # cached contract outcomes of the base

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))


def load_base_state(path: Path) -> BaseBuild | None:
    try:
        return BaseBuild(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def build_base(base: Side, url: str, state_file: Path, *, rebuild: bool = False) -> BaseBuild:
    """Build the base whole, unless the same project on the same raw data was built before (then reuse it)."""
    started = datetime.now(UTC)
    key = cache_key(base.project, url)
    previous = load_base_state(state_file)
    if previous and previous.key == key and not rebuild and base.has_manifest() and _schemas_exist(url, base.schema):
        previous.reused = True
        return previous
    drop_schemas(url, base.schema)
    as_of = started.isoformat(timespec="seconds")
    run_dbt(base, "build", *EXCLUDE_TESTS, as_of=as_of)
    state = BaseBuild(key=key, as_of=as_of, seconds=(datetime.now(UTC) - started).total_seconds())
    state.save(state_file)
    return state


def _schemas_exist(url: str, schema: str) -> bool:
    pattern = schema.replace("_", r"\_") + r"\_%"
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from pg_namespace where nspname like %s", (pattern,)).fetchone()[0] > 0


def build_head(head: Side, base: Side, url: str, as_of: str, extra: list[str], *, full: str | None) -> HeadBuild:
    """Rebuild changed nodes and their children into the head schemas, deferring the rest to the base.

    `extra` are further selectors (models reading a changed var, which `state:modified` cannot see);
    `full` is the reason for a full build instead (no base manifest, a macro reads a changed var), or None.
    """
    started = datetime.now(UTC)
    drop_schemas(url, head.schema)
    if full or not base.has_manifest():
        reason = full or "the base has no manifest"
        run_dbt(head, "build", *EXCLUDE_TESTS, as_of=as_of)
        build = HeadBuild(selection=["(everything)"], full_build=True, notes=[f"full head build: {reason}"])
    else:
        selection = ["state:modified+", *extra]
        run_dbt(
            head, "build", "--select", *selection, *EXCLUDE_TESTS, "--defer", "--state", str(base.target), as_of=as_of
        )
        build = HeadBuild(selection=selection)
    build.rebuilt = executed_nodes(head.target)
    build.seconds = (datetime.now(UTC) - started).total_seconds()
    return build


def executed_nodes(target: Path) -> list[str]:
    """Unique ids of the models, seeds and snapshots the last dbt invocation built."""
    path = target / "run_results.json"
    if not path.is_file():
        return []
    results = json.loads(path.read_text())["results"]
    return sorted(r["unique_id"] for r in results if r["unique_id"].split(".", 1)[0] in BUILT_TYPES)


def relation(node: dict[str, Any]) -> tuple[str, str]:
    return node["schema"], node.get("alias") or node["name"]


def expose_unchanged(url: str, head: Side, base: Side, rebuilt: list[str]) -> int:
    """Views in the head schemas on the base's relations of every node the head did not rebuild."""
    base_nodes = base.manifest()["nodes"]
    head_nodes = head.manifest()["nodes"]
    created = 0
    with psycopg.connect(url, autocommit=True) as conn:
        for unique_id, node in head_nodes.items():
            if node["resource_type"] not in BUILT_TYPES or unique_id in rebuilt or unique_id not in base_nodes:
                continue
            if node.get("config", {}).get("enabled") is False:
                continue
            (head_schema, name), (base_schema, base_name) = relation(node), relation(base_nodes[unique_id])
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(head_schema)))
            conn.execute(
                sql.SQL("create or replace view {}.{} as select * from {}.{}").format(
                    sql.Identifier(head_schema),
                    sql.Identifier(name),
                    sql.Identifier(base_schema),
                    sql.Identifier(base_name),
                )
            )
            created += 1
    return created
