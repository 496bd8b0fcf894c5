"""CHANGELOG.md's "Definition changes" table and the seed the published glossary reads it from.

The table (| version | date | terms | summary |) is the reviewed record; `python -m impact changelog --sync`
writes it to `dbt_project/seeds/glossary/glossary_definition_changes.csv` (one row per version and term) and
`--check` fails when the two differ (CI runs it), so `glossary_terms` can show the version in force and each
term's last change without dbt reading files outside its project.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from impact.project import REPO_ROOT, VERSION_SEED

CHANGELOG = REPO_ROOT / "CHANGELOG.md"
SEED_COLUMNS = ("definitions_version", "changed_on", "term", "summary")
_SECTION = re.compile(r"^## Definition changes\s*$", re.MULTILINE)
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ChangelogError(ValueError):
    """The "Definition changes" table is missing or malformed; the message names the line."""


@dataclass(frozen=True)
class DefinitionChange:
    version: str
    date: str
    terms: tuple[str, ...]
    summary: str

    @property
    def version_key(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split("."))


def parse(text: str) -> list[DefinitionChange]:
    """The rows of the table under `## Definition changes`, newest first as written."""
    match = _SECTION.search(text)
    if not match:
        raise ChangelogError("CHANGELOG.md has no '## Definition changes' section")
    changes = []
    for number, line in enumerate(text[match.end() :].splitlines(), start=1):
        if line.startswith("## "):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) != 4 or cells[0] in ("version", "") or set(cells[0]) <= {"-", ":"}:
            continue
        changes.append(_change(cells, number))
    if not changes:
        raise ChangelogError("the 'Definition changes' table has no rows")
    return changes


def _change(cells: list[str], number: int) -> DefinitionChange:
    version, date, terms, summary = cells
    terms_list = tuple(term.strip().strip("`") for term in terms.split(",") if term.strip())
    if not _VERSION.match(version) or not _DATE.match(date) or not terms_list:
        raise ChangelogError(
            f"line {number} of 'Definition changes' needs version x.y.z, date YYYY-MM-DD and terms: {cells}"
        )
    return DefinitionChange(version, date, terms_list, summary.replace("\n", " "))


def seed_csv(changes: list[DefinitionChange]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for change in sorted(changes, key=lambda c: c.version_key):
        for term in change.terms:
            writer.writerow((change.version, change.date, term, change.summary))
    return out.getvalue()


def current_version(seed_text: str) -> str | None:
    """The highest version in a definitions seed's text (None when the project has no such seed)."""
    rows = list(csv.DictReader(io.StringIO(seed_text)))
    versions = {row["definitions_version"] for row in rows if row.get("definitions_version")}
    return max(versions, key=lambda v: tuple(int(p) for p in v.split("."))) if versions else None


def seed_path(project: Path) -> Path:
    return project / VERSION_SEED


def sync(changelog: Path = CHANGELOG, project: Path = REPO_ROOT / "dbt_project") -> bool:
    """Write the seed from the changelog; True when it changed."""
    wanted = seed_csv(parse(changelog.read_text()))
    path = seed_path(project)
    if path.is_file() and path.read_text() == wanted:
        return False
    path.write_text(wanted)
    return True


def in_sync(changelog: Path = CHANGELOG, project: Path = REPO_ROOT / "dbt_project") -> bool:
    path = seed_path(project)
    return path.is_file() and path.read_text() == seed_csv(parse(changelog.read_text()))
