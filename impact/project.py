"""The two dbt projects under review: materialised into a work folder, and what differs between them.

Nothing here writes to the repository: the base ref comes out of `git archive` (read-only) and the working
tree's project is copied, so dbt's target/ and logs/ never land in the real files.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
PROJECT_SUBDIR = "dbt_project"
# Build artefacts and local files that are not part of a definition.
IGNORED_PARTS = frozenset({"target", "logs", "dbt_packages", ".user.yml", "__pycache__"})
DEFINITION_DIRS = ("seeds/glossary/", "models/glossary/")
# The seed the CHANGELOG's "Definition changes" table is written to: bumping it is not a definition change.
VERSION_SEED = "seeds/glossary/glossary_definition_changes.csv"
_VAR_CALL = r"""var\(\s*['"]{name}['"]"""


class ProjectError(RuntimeError):
    """A base ref or project folder could not be materialised."""


def materialise_ref(ref: str, destination: Path, repo: Path = REPO_ROOT) -> Path:
    """Write the dbt project as it is at git `ref` into `destination` (git archive; the repo is untouched)."""
    result = subprocess.run(
        ["git", "-C", str(repo), "archive", "--format=tar", ref, PROJECT_SUBDIR],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise ProjectError(f"git archive {ref} {PROJECT_SUBDIR} failed: {result.stderr.decode().strip()}")
    _reset(destination)
    staging = destination.parent / f".{destination.name}-archive"
    _reset(staging)
    with tarfile.open(fileobj=io.BytesIO(result.stdout)) as archive:
        archive.extractall(staging, filter="data")
    shutil.move(str(staging / PROJECT_SUBDIR), destination)
    shutil.rmtree(staging)
    return destination


def materialise_dir(source: Path, destination: Path) -> Path:
    """Copy a dbt project folder (without build artefacts) into `destination`."""
    if not (source / "dbt_project.yml").is_file():
        raise ProjectError(f"{source} is not a dbt project (no dbt_project.yml)")
    _reset(destination)
    shutil.copytree(source, destination, ignore=lambda _dir, names: [n for n in names if n in IGNORED_PARTS])
    return destination


def _reset(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)


def project_files(root: Path) -> dict[str, bytes]:
    """Every file of a project by its path relative to the project root."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not IGNORED_PARTS.intersection(path.relative_to(root).parts)
    }


@dataclass(frozen=True)
class SeedDiff:
    """Rows of one seed CSV added, removed or changed (same key, other values)."""

    path: str
    key: tuple[str, ...]
    added: list[dict[str, str]]
    removed: list[dict[str, str]]
    changed: list[tuple[dict[str, str], dict[str, str]]]

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class VarChange:
    name: str
    base: Any
    head: Any


@dataclass
class ProjectDiff:
    """Which files of the dbt project differ, read as definitions where they are seeds and vars."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    seeds: list[SeedDiff] = field(default_factory=list)
    vars: list[VarChange] = field(default_factory=list)
    text_diffs: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.modified)

    @property
    def changed_files(self) -> list[str]:
        return sorted({*self.added, *self.removed, *self.modified})

    @property
    def definition_files(self) -> list[str]:
        """Changed files that hold agreed definitions (glossary seeds and models, dbt_project.yml vars)."""
        files = [path for path in self.changed_files if path.startswith(DEFINITION_DIRS) and path != VERSION_SEED]
        return files + (["dbt_project.yml (vars)"] if self.vars else [])


def diff_projects(base: Path, head: Path) -> ProjectDiff:
    """Compare two materialised projects file by file; seeds row by row, dbt_project.yml vars by name."""
    base_files, head_files = project_files(base), project_files(head)
    diff = ProjectDiff(
        added=sorted(set(head_files) - set(base_files)),
        removed=sorted(set(base_files) - set(head_files)),
        modified=sorted(path for path in set(base_files) & set(head_files) if base_files[path] != head_files[path]),
    )
    for path in diff.changed_files:
        old, new = _text(base_files.get(path)), _text(head_files.get(path))
        if path.endswith(".csv"):
            diff.seeds.append(diff_seed(path, old, new))
        diff.text_diffs[path] = unified_diff(path, old, new)
    if "dbt_project.yml" in diff.modified:
        diff.vars = diff_vars(_text(base_files["dbt_project.yml"]), _text(head_files["dbt_project.yml"]))
    return diff


def _text(content: bytes | None) -> str:
    return content.decode("utf-8", errors="replace") if content is not None else ""


def unified_diff(path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), f"base/{path}", f"head/{path}", lineterm="", n=2)
    return "\n".join(lines)


def read_csv(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def seed_key(columns: list[str], *row_sets: list[dict[str, str]]) -> tuple[str, ...]:
    """The shortest prefix of the columns that identifies a row in every version (all columns at worst)."""
    for width in range(1, len(columns) + 1):
        key = tuple(columns[:width])
        if all(len({tuple(row[c] for c in key) for row in rows}) == len(rows) for rows in row_sets):
            return key
    return tuple(columns)


def diff_seed(path: str, old: str, new: str) -> SeedDiff:
    old_columns, old_rows = read_csv(old)
    new_columns, new_rows = read_csv(new)
    columns = new_columns or old_columns
    key = seed_key(columns, old_rows, new_rows) if old_columns == new_columns else tuple(columns)
    before = {tuple(row.get(c) for c in key): row for row in old_rows}
    after = {tuple(row.get(c) for c in key): row for row in new_rows}
    return SeedDiff(
        path=path,
        key=key,
        added=[after[k] for k in after if k not in before],
        removed=[before[k] for k in before if k not in after],
        changed=[(before[k], after[k]) for k in after if k in before and before[k] != after[k]],
    )


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def diff_vars(old: str, new: str) -> list[VarChange]:
    """Vars of dbt_project.yml that were added, removed or given another value (nested ones dotted)."""
    before = flatten((yaml.safe_load(old) or {}).get("vars") or {})
    after = flatten((yaml.safe_load(new) or {}).get("vars") or {})
    names = sorted(set(before) | set(after))
    return [VarChange(name, before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)]


def files_using_var(project: Path, name: str) -> list[str]:
    """SQL files (models and macros) of a project that read the var `name` (the leaf of a dotted name)."""
    pattern = re.compile(_VAR_CALL.format(name=re.escape(name.rsplit(".", 1)[-1])))
    return sorted(
        path.relative_to(project).as_posix()
        for folder in ("models", "macros", "snapshots")
        for path in (project / folder).rglob("*.sql")
        if pattern.search(path.read_text(errors="replace"))
    )
