"""The report as Markdown for a pull-request comment (GitHub renders the tables, <details> and Mermaid)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from impact import lineage as lineage_mod
from impact.compare import Delta, MartComparison, MovedRows
from impact.project import SeedDiff
from impact.review import Report

MAX_DELTA_ROWS = 200
MAX_MOVED_ROWS = 50
MAX_DIFF_LINES = 300
MAX_SEED_ROWS = 20


GITHUB_COMMENT_LIMIT = 65_000  # characters GitHub accepts in one comment (65,536), with a margin


def render(report: Report) -> str:
    """The Markdown, with fewer rows per delta table until it fits one GitHub comment (all rows in impact.json)."""
    for rows in (MAX_DELTA_ROWS, 50, 20, 5):
        text = _render(report, rows)
        if len(text) <= GITHUB_COMMENT_LIMIT:
            break
    return text


def _render(report: Report, max_rows: int) -> str:
    parts = [f"## Definition impact: {report.head_label} vs {report.base_label}", ""]
    if report.no_change:
        return "\n".join(
            [*parts, "**No change**: the dbt project is identical; no definition and no number moves.", ""]
        )
    parts += _headline(report)
    parts += _definitions(report)
    parts += _lineage(report)
    parts += _metrics(report, max_rows)
    parts += _moved(report)
    parts += _contracts(report)
    parts += _build(report)
    return "\n".join(parts) + "\n"


def _headline(report: Report) -> list[str]:
    lines = []
    if report.numbers_changed:
        by_mart = {m.spec.name: sorted({d.metric for d in m.deltas}) for m in report.marts if m.deltas}
        names = "; ".join(f"`{mart}` ({', '.join(metrics)})" for mart, metrics in by_mart.items())
        lines.append(f"**Numbers change** in {names or 'intermediate rows only'}.")
    else:
        lines.append("**Files changed, but no published number changes.**")
    newly_failing = [c for c in report.contract_changes if not c.head.success]
    if newly_failing:
        lines.append(f"**{len(newly_failing)} contract promise(s) would newly fail.**")
    base_version, head_version = report.versions
    lines.append(f"Definitions version: {base_version or '-'} -> {head_version or '-'}.")
    lines += [f"> :warning: {note}" for note in report.notes if "did not" in note]
    return [*lines, ""]


def _definitions(report: Report) -> list[str]:
    diff = report.diff
    lines = ["### What changed", ""]
    for label, paths in (("added", diff.added), ("removed", diff.removed), ("modified", diff.modified)):
        lines += [f"- {label}: `{path}`" for path in paths]
    lines.append("")
    for seed in diff.seeds:
        if not seed.empty:
            lines += _seed(seed)
    if diff.vars:
        lines += ["**vars** (`dbt_project.yml`)", "", "| var | base | head | read by |", "| --- | --- | --- | --- |"]
        for change in diff.vars:
            readers = ", ".join(f"`{f}`" for f in report.var_files.get(change.name, [])) or "-"
            lines.append(f"| `{change.name}` | `{change.base}` | `{change.head}` | {readers} |")
        lines.append("")
    text = "\n".join(diff.text_diffs[path] for path in diff.changed_files if diff.text_diffs.get(path)).splitlines()
    if text:
        shown = text[:MAX_DIFF_LINES]
        more = [f"... {len(text) - MAX_DIFF_LINES} more lines"] if len(text) > MAX_DIFF_LINES else []
        lines += ["<details><summary>File diff</summary>", "", "```diff", *shown, *more, "```", "</details>", ""]
    return lines


def _seed(seed: SeedDiff) -> list[str]:
    key = ", ".join(seed.key)
    lines = [f"**seed `{seed.path}`** (rows keyed by {key})", ""]
    lines += [f"- added: {_row(row)}" for row in seed.added[:MAX_SEED_ROWS]]
    lines += [f"- removed: {_row(row)}" for row in seed.removed[:MAX_SEED_ROWS]]
    hidden = max(len(seed.added) - MAX_SEED_ROWS, 0) + max(len(seed.removed) - MAX_SEED_ROWS, 0)
    lines += [f"- ... {hidden} more added or removed row(s) (see the file diff)"] if hidden else []
    for before, after in seed.changed:
        what = "; ".join(f"{c}: `{before[c]}` -> `{after[c]}`" for c in after if before.get(c) != after[c])
        lines.append(f"- changed {_row({c: after[c] for c in seed.key})}: {what}")
    return [*lines, ""]


def _row(row: dict[str, str]) -> str:
    return ", ".join(f"{c}=`{v}`" for c, v in row.items())


def _lineage(report: Report) -> list[str]:
    graph = report.lineage
    if graph is None or not graph.paths:
        return ["### Lineage", "", "No published mart depends on a changed node.", ""]
    changed = ", ".join(f"`{lineage_mod.short(n)}`" for n in graph.changed)
    lines = ["### Lineage of affected published marts", "", f"Changed nodes: {changed}.", ""]
    lines += [f"- {' -> '.join(lineage_mod.short(n) for n in path)}" for path in graph.paths]
    return [*lines, "", "```mermaid", lineage_mod.mermaid(graph), "```", ""]


def fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal | float):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def relative(delta: Delta | None, base: Any = None, head: Any = None) -> str:
    if delta is not None:
        base, head = delta.base, delta.head
    if not base:
        return "new" if head else "-"
    return f"{(float(head or 0) - float(base)) / float(base):+.1%}"


def _metrics(report: Report, max_rows: int) -> list[str]:
    lines = ["### Agreed metrics of the published marts, base vs new", ""]
    if not report.marts:
        return [*lines, "No published mart was rebuilt.", ""]
    for mart in report.marts:
        lines += _mart(mart, max_rows)
    return lines


def _mart(mart: MartComparison, max_rows: int) -> list[str]:
    spec = mart.spec
    lines = [f"#### `{spec.name}` (grain: {', '.join(spec.grain) or '-'})", ""]
    if mart.note:
        return [*lines, mart.note, ""]
    if not mart.deltas:
        return [*lines, "No metric changes.", ""]
    if any(base != head for base, head in mart.totals.values()):
        lines += [
            "| metric (glossary term) | base total | new total | change | relative |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for metric, (base, head) in mart.totals.items():
            if base != head:
                change = fmt(head - base)
                term = spec.metrics[metric]
                lines.append(
                    f"| `{metric}` ({term}) | {fmt(base)} | {fmt(head)} | {change} | {relative(None, base, head)} |"
                )
        lines.append("")
    header = [*spec.grain, "metric", "base", "new", "change", "relative"]
    lines += [f"| {' | '.join(header)} |", "|" + " --- |" * len(header)]
    for delta in mart.deltas[:max_rows]:
        cells = [fmt(delta.grain[c]) for c in spec.grain]
        cells += [f"`{delta.metric}`", fmt(delta.base), fmt(delta.head), fmt(delta.change), relative(delta)]
        lines.append(f"| {' | '.join(cells)} |")
    if len(mart.deltas) > max_rows:
        lines.append(f"\n... {len(mart.deltas) - max_rows} more (all in impact.json and impact.html)")
    return [*lines, ""]


def _moved(report: Report) -> list[str]:
    if not report.moved:
        return []
    lines = ["### Rows that moved", ""]
    for moved in report.moved:
        counts = ", ".join(f"{moved.count(s)} {s}" for s in ("removed", "added", "changed"))
        lines += [f"**{moved.mover.model}**: {moved.mover.title}. {counts}.", ""]
        if moved.rows:
            lines += _moved_table(moved)
    return lines


def _moved_table(moved: MovedRows) -> list[str]:
    lines = [f"<details><summary>{len(moved.rows)} row(s)</summary>", ""]
    lines += [f"| {' | '.join(moved.columns)} |", "|" + " --- |" * len(moved.columns)]
    lines += [f"| {' | '.join(fmt(v) for v in row)} |" for row in moved.rows[:MAX_MOVED_ROWS]]
    if len(moved.rows) > MAX_MOVED_ROWS:
        lines.append(f"\n... {len(moved.rows) - MAX_MOVED_ROWS} more (all in moved_{moved.mover.model}.csv)")
    return [*lines, "", "</details>", ""]


def _contracts(report: Report) -> list[str]:
    lines = ["### Contracts", ""]
    if report.contracts_head is None:
        return [*lines, "Not validated (`--no-contracts`).", ""]
    base_ok = sum(o["success"] for o in report.contracts_base or [])
    head_ok = sum(o["success"] for o in report.contracts_head)
    lines.append(
        f"Promises kept: base {base_ok}/{len(report.contracts_base or [])}, new {head_ok}/{len(report.contracts_head)}."
    )
    if not report.contract_changes:
        return [*lines, "No promise would newly pass or fail.", ""]
    lines += [
        "",
        "| contract | table | promise | severity | verdict | offending rows (base -> new) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for change in report.contract_changes:
        head = change.head
        counts = f"{fmt(change.base.unexpected_count) if change.base else '-'} -> {fmt(head.unexpected_count)}"
        lines.append(
            f"| {head.contract} | {head.table} | {head.promise} | {head.severity} | **{change.verdict}** | {counts} |"
        )
    return [*lines, ""]


def _build(report: Report) -> list[str]:
    lines = ["<details><summary>How this was built</summary>", ""]
    if report.head_build:
        lines.append(
            f"- head selection: `{' '.join(report.head_build.selection)}` with `--defer --state <base target>`"
        )
        lines.append(f"- head rebuilt {len(report.head_build.rebuilt)} node(s); the rest are views on the base")
    if report.base_build:
        lines.append(
            f"- base built as of {report.base_build.as_of}" + (" (reused)" if report.base_build.reused else "")
        )
    lines += [f"- {note}" for note in report.notes if "did not" not in note]
    lines += [f"- {name}: {seconds:.1f} s" for name, seconds in report.seconds.items()]
    return [*lines, "", "</details>"]
