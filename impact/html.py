"""The report as one self-contained HTML page: inline CSS and SVG bar charts, no scripts, no external assets."""

from __future__ import annotations

from html import escape
from typing import Any

from impact import lineage as lineage_mod
from impact.compare import MartComparison
from impact.markdown import fmt, relative
from impact.review import Report

MAX_BARS = 30
BAR_WIDTH = 320
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1f2937;padding:0 1rem}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #e5e7eb;padding:2px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.neg{color:#b91c1c}.pos{color:#047857}
pre{background:#f9fafb;padding:.5rem;overflow:auto;font-size:12px}.legend span{display:inline-block;width:12px;
height:12px;margin:0 4px 0 12px;vertical-align:middle}.badge{padding:1px 6px;border-radius:4px;background:#fef3c7}
"""
BASE_COLOUR, HEAD_COLOUR = "#9ca3af", "#2563eb"


def render(report: Report) -> str:
    body = [f"<h1>Definition impact: {escape(report.head_label)} vs {escape(report.base_label)}</h1>"]
    if report.no_change:
        body.append("<p><b>No change</b>: the dbt project is identical; no definition and no number moves.</p>")
    else:
        body += _summary(report) + _changes(report) + _lineage(report)
        for mart in report.marts:
            body += _mart(mart)
        body += _moved(report) + _contracts(report)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Definition impact</title>"
        f"<style>{CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _summary(report: Report) -> list[str]:
    base_version, head_version = report.versions
    items = [f"Definitions version {escape(str(base_version))} &rarr; {escape(str(head_version))}"]
    items += [escape(note) for note in report.notes]
    items.append("Numbers change" if report.numbers_changed else "No published number changes")
    return ["<ul>", *[f"<li>{item}</li>" for item in items], "</ul>"]


def _changes(report: Report) -> list[str]:
    diff = report.diff
    out = ["<h2>What changed</h2><ul>"]
    out += [
        f"<li>{label}: <code>{escape(p)}</code></li>"
        for label, paths in (("added", diff.added), ("removed", diff.removed), ("modified", diff.modified))
        for p in paths
    ]
    out.append("</ul>")
    if diff.vars:
        rows = "".join(
            f"<tr><td><code>{escape(v.name)}</code></td><td>{escape(str(v.base))}</td><td>{escape(str(v.head))}</td></tr>"
            for v in diff.vars
        )
        out.append(f"<table><tr><th>var</th><th>base</th><th>head</th></tr>{rows}</table>")
    text = "\n".join(t for t in diff.text_diffs.values() if t)
    if text:
        out.append(f"<details><summary>File diff</summary><pre>{escape(text)}</pre></details>")
    return out


def _lineage(report: Report) -> list[str]:
    if report.lineage is None or not report.lineage.paths:
        return []
    paths = ["<li>" + " &rarr; ".join(escape(lineage_mod.short(n)) for n in p) + "</li>" for p in report.lineage.paths]
    return ["<h2>Lineage</h2><ul>", *paths, "</ul>"]


def bar_chart(title: str, rows: list[tuple[str, float, float]]) -> str:
    """Horizontal paired bars (base grey, new blue) per label, scaled to the largest value."""
    biggest = max([abs(v) for _, b, h in rows for v in (b, h)] + [1e-9])
    row_height, label_width = 26, 230
    height = row_height * len(rows) + 10
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{label_width + BAR_WIDTH + 120}" height="{height}">']
    for i, (label, base, head) in enumerate(rows):
        y = 5 + i * row_height
        parts.append(f'<text x="0" y="{y + 15}" font-size="12">{escape(label[:38])}</text>')
        for offset, value, colour in ((0, base, BASE_COLOUR), (11, head, HEAD_COLOUR)):
            width = abs(value) / biggest * BAR_WIDTH
            parts.append(f'<rect x="{label_width}" y="{y + offset}" width="{width:.1f}" height="10" fill="{colour}"/>')
        parts.append(
            f'<text x="{label_width + BAR_WIDTH + 6}" y="{y + 15}" font-size="11">{fmt(base)} &rarr; {fmt(head)}</text>'
        )
    parts.append("</svg>")
    legend = (
        f'<div class=legend><span style="background:{BASE_COLOUR}"></span>base'
        f'<span style="background:{HEAD_COLOUR}"></span>new</div>'
    )
    return f"<h4>{escape(title)}</h4>{legend}{''.join(parts)}"


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


def _mart(mart: MartComparison) -> list[str]:
    spec = mart.spec
    out = [f"<h2>{escape(spec.name)} <small>grain: {escape(', '.join(spec.grain))}</small></h2>"]
    if mart.note or not mart.deltas:
        return [*out, f"<p>{escape(mart.note or 'No metric changes.')}</p>"]
    totals = [(f"{m} ({spec.metrics[m]})", _number(b), _number(h)) for m, (b, h) in mart.totals.items() if b != h]
    if totals:
        out.append(bar_chart("Totals over all rows", totals))
    for metric in dict.fromkeys(d.metric for d in mart.deltas):
        deltas = sorted((d for d in mart.deltas if d.metric == metric), key=lambda d: -abs(_number(d.change)))
        rows = [(" / ".join(fmt(d.grain[c]) for c in spec.grain), _number(d.base), _number(d.head)) for d in deltas]
        out.append(bar_chart(f"{metric} ({spec.metrics[metric]}): {len(rows)} row(s) changed", rows[:MAX_BARS]))
    out.append(_delta_table(mart))
    return out


def _delta_table(mart: MartComparison) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in [*mart.spec.grain, "metric", "base", "new", "change", "relative"])
    rows = []
    for d in mart.deltas:
        sign = "neg" if _number(d.change) < 0 else "pos"
        cells = "".join(f"<td>{escape(fmt(d.grain[c]))}</td>" for c in mart.spec.grain)
        cells += f"<td>{escape(d.metric)}</td><td class=n>{fmt(d.base)}</td><td class=n>{fmt(d.head)}</td>"
        cells += f"<td class='n {sign}'>{fmt(d.change)}</td><td class=n>{relative(d)}</td>"
        rows.append(f"<tr>{cells}</tr>")
    summary = f"<summary>All {len(rows)} changed values</summary>"
    return f"<details>{summary}<table><tr>{head}</tr>{''.join(rows)}</table></details>"


def _moved(report: Report) -> list[str]:
    if not report.moved:
        return []
    out = ["<h2>Rows that moved</h2>"]
    for moved in report.moved:
        counts = [(s, float(moved.count(s)), 0.0) for s in ("removed", "added", "changed")]
        out.append(f"<p><b>{escape(moved.mover.model)}</b>: {escape(moved.mover.title)}</p>")
        out.append(" ".join(f"<span class=badge>{int(n)} {s}</span>" for s, n, _ in counts))
    return out


def _contracts(report: Report) -> list[str]:
    if report.contracts_head is None:
        return ["<h2>Contracts</h2><p>Not validated.</p>"]
    if not report.contract_changes:
        return ["<h2>Contracts</h2><p>No promise would newly pass or fail.</p>"]
    rows = "".join(
        f"<tr><td>{escape(c.head.contract)}</td><td>{escape(c.head.table)}</td><td>{escape(c.head.promise)}</td>"
        f"<td>{escape(c.head.severity)}</td><td><b>{escape(c.verdict)}</b></td></tr>"
        for c in report.contract_changes
    )
    return [
        "<h2>Contracts</h2><table><tr><th>contract</th><th>table</th><th>promise</th><th>severity</th>"
        f"<th>verdict</th></tr>{rows}</table>"
    ]
