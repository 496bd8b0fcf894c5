"""The impact review end to end: materialise both projects, build them, compare, and collect a Report."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from impact import build, changelog, compare, contracts, lineage
from impact.project import ProjectDiff, diff_projects, files_using_var, materialise_dir, materialise_ref

HEADLINE_MARTS = ("weekly_review", "weekly_contacts_by_stage")  # shown first: what both teams read weekly


@dataclass(frozen=True)
class Options:
    url: str
    work_dir: Path
    base_ref: str | None = None  # a git ref, or
    base_dir: Path | None = None  # a project folder (tests)
    head_dir: Path = Path("dbt_project")
    schema: str = "impact"  # target schemas `<schema>_base` and `<schema>_head`
    contracts: bool = True
    rebuild_base: bool = False


@dataclass
class Report:
    base_label: str
    head_label: str
    diff: ProjectDiff
    var_files: dict[str, list[str]] = field(default_factory=dict)
    base_build: build.BaseBuild | None = None
    head_build: build.HeadBuild | None = None
    lineage: lineage.Lineage | None = None
    marts: list[compare.MartComparison] = field(default_factory=list)
    moved: list[compare.MovedRows] = field(default_factory=list)
    contracts_base: list[dict[str, Any]] | None = None
    contracts_head: list[dict[str, Any]] | None = None
    contract_changes: list[contracts.ContractChange] = field(default_factory=list)
    versions: tuple[str | None, str | None] = (None, None)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def no_change(self) -> bool:
        return self.diff.empty

    @property
    def numbers_changed(self) -> bool:
        return any(m.deltas for m in self.marts) or any(m.rows for m in self.moved)

    @property
    def deltas(self) -> list[compare.Delta]:
        return [delta for mart in self.marts for delta in mart.deltas]


def sides(options: Options) -> tuple[build.Side, build.Side]:
    work = options.work_dir.resolve()
    base = build.Side("base", work / "base", work / "base-target", f"{options.schema}_base")
    head = build.Side("head", work / "head", work / "head-target", f"{options.schema}_head")
    return base, head


def materialise(options: Options, base: build.Side, head: build.Side) -> tuple[str, str]:
    if options.base_dir is not None:
        materialise_dir(options.base_dir, base.project)
        base_label = str(options.base_dir)
    else:
        materialise_ref(options.base_ref or "HEAD", base.project)
        base_label = f"git {options.base_ref}"
    materialise_dir(options.head_dir, head.project)
    return base_label, f"{options.head_dir} (working tree)"


def run(options: Options) -> Report:
    """Materialise, diff, build, compare. With no file changed it stops after the diff."""
    timer = time.perf_counter()
    base, head = sides(options)
    base_label, head_label = materialise(options, base, head)
    report = Report(base_label, head_label, diff_projects(base.project, head.project))
    report.versions = _versions(base.project, head.project)
    report.notes += _version_notes(report)
    if report.no_change:
        report.seconds["total"] = time.perf_counter() - timer
        return report
    if not build.raw_fingerprint(options.url):
        raise build.BuildError("the warehouse has no raw tables to build on: run `make demo` (or a night) first")
    report.var_files = {v.name: files_using_var(head.project, v.name) for v in report.diff.vars}
    report.base_build = build.build_base(
        base, options.url, options.work_dir / "base.json", rebuild=options.rebuild_base
    )
    if report.base_build.reused:
        earlier = report.base_build.seconds
        report.notes.append(f"base reused: same project on the same raw data, built earlier in {earlier:.1f} s")
    report.seconds["base build"] = 0.0 if report.base_build.reused else report.base_build.seconds
    _build_head(report, options, base, head)
    _compare(report, options.url, base, head)
    if options.contracts:
        _contracts(report, options, base, head)
    report.seconds["total"] = time.perf_counter() - timer
    return report


def _build_head(report: Report, options: Options, base: build.Side, head: build.Side) -> None:
    macro_files = [f for files in report.var_files.values() for f in files if f.startswith("macros/")]
    full = f"a macro reads a changed var ({', '.join(macro_files)})" if macro_files else None
    models = sorted({Path(f).stem for files in report.var_files.values() for f in files if f.startswith("models/")})
    report.head_build = build.build_head(
        head, base, options.url, report.base_build.as_of, [f"{m}+" for m in models], full=full
    )
    report.notes += report.head_build.notes
    if models:
        report.notes.append(
            f"state:modified does not see var changes in SQL: also selected {', '.join(models)} "
            "(they read a changed var) and their children"
        )
    report.seconds["head build"] = report.head_build.seconds
    build.expose_unchanged(options.url, head, base, report.head_build.rebuilt)


def _compare(report: Report, url: str, base: build.Side, head: build.Side) -> None:
    started = time.perf_counter()
    base_nodes, head_manifest = base.manifest()["nodes"], head.manifest()
    head_nodes = head_manifest["nodes"]
    var_files = [f for files in report.var_files.values() for f in files]
    changed = lineage.changed_nodes(head_manifest, report.diff.changed_files, var_files)
    report.lineage = lineage.lineage(head_manifest, changed)
    rebuilt = set(report.head_build.rebuilt)
    marts = [m for m in report.lineage.marts if m in rebuilt and m in base_nodes]
    marts += sorted(
        uid for uid in rebuilt if uid not in marts and uid in base_nodes and lineage.is_published_mart(head_nodes[uid])
    )
    with psycopg.connect(url) as conn:
        specs = sorted(compare.mart_specs(head_manifest, marts), key=lambda s: (s.name not in HEADLINE_MARTS, s.name))
        for spec in specs:
            report.marts.append(
                compare.compare_mart(conn, spec, base_nodes[spec.unique_id], head_nodes[spec.unique_id])
            )
        for mover in compare.MOVERS:
            uid = f"model.{head_manifest['metadata']['project_name']}.{mover.model}"
            if uid in rebuilt and uid in base_nodes:
                report.moved.append(compare.moved_rows(conn, mover, base_nodes[uid], head_nodes[uid]))
    report.seconds["compare"] = time.perf_counter() - started


def _contracts(report: Report, options: Options, base: build.Side, head: build.Side) -> None:
    started = time.perf_counter()
    state = report.base_build
    if state.contracts is None:
        state.contracts = contracts.validate_side(options.url, base.schema_prefix)
        state.save(options.work_dir / "base.json")
    report.contracts_base = state.contracts
    report.contracts_head = contracts.validate_side(options.url, head.schema_prefix)
    report.contract_changes = contracts.contract_changes(report.contracts_base, report.contracts_head)
    report.seconds["contracts"] = time.perf_counter() - started


def _versions(base: Path, head: Path) -> tuple[str | None, str | None]:
    def version(project: Path) -> str | None:
        path = changelog.seed_path(project)
        return changelog.current_version(path.read_text()) if path.is_file() else None

    return version(base), version(head)


def _version_notes(report: Report) -> list[str]:
    base_version, head_version = report.versions
    if report.diff.definition_files and base_version == head_version:
        return [
            "definitions changed but the definitions version did not: add a row to CHANGELOG.md's "
            "'Definition changes' and run `python -m impact changelog --sync`"
        ]
    return []
