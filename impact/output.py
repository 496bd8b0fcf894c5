"""Write a Report: impact.md (pull-request comment), impact.html (charts), impact.json and moved-rows CSVs."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from impact import html, markdown
from impact.review import Report


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value % 1 else int(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "base": report.base_label,
        "head": report.head_label,
        "no_change": report.no_change,
        "numbers_changed": report.numbers_changed,
        "changed_files": report.diff.changed_files,
        "definition_files": report.diff.definition_files,
        "vars": [{"name": v.name, "base": v.base, "head": v.head} for v in report.diff.vars],
        "definitions_version": {"base": report.versions[0], "head": report.versions[1]},
        "rebuilt": report.head_build.rebuilt if report.head_build else [],
        "full_build": bool(report.head_build and report.head_build.full_build),
        "marts": [m.spec.name for m in report.marts],
        "deltas": [
            {
                "mart": d.mart,
                "grain": d.grain,
                "metric": d.metric,
                "term": d.term,
                "base": d.base,
                "head": d.head,
                "change": d.change,
            }
            for d in report.deltas
        ],
        "moved": {m.mover.model: {s: m.count(s) for s in ("removed", "added", "changed")} for m in report.moved},
        "contract_changes": [
            {"contract": c.head.contract, "promise": c.head.promise, "table": c.head.table, "verdict": c.verdict}
            for c in report.contract_changes
        ],
        "contracts_validated": report.contracts_head is not None,
        "notes": report.notes,
        "seconds": report.seconds,
    }


def write(report: Report, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "impact.md", "html": out / "impact.html", "json": out / "impact.json"}
    paths["markdown"].write_text(markdown.render(report))
    paths["html"].write_text(html.render(report))
    paths["json"].write_text(json.dumps(as_dict(report), indent=1, default=_jsonable) + "\n")
    for moved in report.moved:
        path = out / f"moved_{moved.mover.model}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(moved.columns)
            writer.writerows(moved.rows)
        paths[f"moved {moved.mover.model}"] = path
    return paths
