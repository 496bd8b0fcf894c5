"""Data docs: a small static HTML site of the contract results, rebuilt from the audit tables.

GX's own data docs need a file-based context (stores, site builders) and the ephemeral context the runner
uses keeps nothing, so the site is built here from what every run leaves in the warehouse:
`audit.contract_results` (one row per expectation per run) and `audit.quarantine` (offending rows). One page
per run lists each contract with its teams, owner and severity, every promise with its result, observed value
and sample offending rows; `index.html` lists the runs, newest first. Rebuilding needs only the warehouse,
so `make contracts-docs` shows the same site the night built.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

DOCS_DIR = Path(__file__).resolve().parent / "uncommitted" / "data_docs"
RUNS_SHOWN = 30
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.5em; text-align: left; vertical-align: top; font-size: 0.9em; }
th { background: #f3f3f3; }
.pass { color: #17692a; font-weight: bold; } .fail { color: #b00020; font-weight: bold; }
.warn { color: #a15c00; font-weight: bold; }
pre { margin: 0; white-space: pre-wrap; font-size: 0.85em; }
.meta { color: #555; }
"""


def build_data_docs(psycopg_url: str, out_dir: Path | None = None, *, runs: int = RUNS_SHOWN) -> Path:
    """Write index.html and one page per recent run under `out_dir`; return the index path."""
    import psycopg

    from expectations.runner import AUDIT_TABLE, QUARANTINE_TABLE, ContractFileError, _psycopg_url, load_contracts

    out = out_dir or DOCS_DIR
    (out / "runs").mkdir(parents=True, exist_ok=True)
    try:
        contracts = {contract.name: contract for contract in load_contracts()}
    except ContractFileError:
        contracts = {}
    with psycopg.connect(_psycopg_url(psycopg_url)) as conn:
        if conn.execute("select to_regclass(%s) is null", (AUDIT_TABLE,)).fetchone()[0]:
            run_rows: list[tuple[Any, ...]] = []
        else:
            run_rows = conn.execute(
                f"""select run_id, max(validated_at), count(*), count(*) filter (where not success),
                           count(*) filter (where not success and severity = 'block')
                    from {AUDIT_TABLE} group by run_id order by max(validated_at) desc limit %s""",
                (runs,),
            ).fetchall()
        quarantine = conn.execute("select to_regclass(%s) is not null", (QUARANTINE_TABLE,)).fetchone()[0]
        for run_id, *_ in run_rows:
            results = conn.execute(
                f"""select contract, severity, owner, table_name, expectation, column_name, success,
                           observed_value, unexpected_count, sample, promise, error
                    from {AUDIT_TABLE} where run_id = %s order by contract, id""",
                (run_id,),
            ).fetchall()
            quarantined = (
                dict(
                    conn.execute(
                        f"select contract, count(*) from {QUARANTINE_TABLE} where run_id = %s group by contract",
                        (run_id,),
                    ).fetchall()
                )
                if quarantine
                else {}
            )
            (out / "runs" / f"{_slug(run_id)}.html").write_text(_run_page(run_id, results, quarantined, contracts))
    index = out / "index.html"
    index.write_text(_index_page(run_rows))
    return index


def _slug(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", run_id)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )


def _index_page(run_rows: list[tuple[Any, ...]]) -> str:
    rows = []
    for run_id, validated_at, checked, failed, blocking in run_rows:
        verdict = (
            '<span class="fail">blocked</span>'
            if blocking
            else ('<span class="warn">published with warnings</span>' if failed else '<span class="pass">kept</span>')
        )
        rows.append(
            f'<tr><td><a href="runs/{html.escape(_slug(run_id))}.html">{html.escape(run_id)}</a></td>'
            f"<td>{validated_at:%Y-%m-%d %H:%M:%S %Z}</td><td>{checked}</td><td>{failed}</td><td>{blocking}</td>"
            f"<td>{verdict}</td></tr>"
        )
    table = (
        "<table><tr><th>run</th><th>validated at</th><th>promises checked</th><th>broken</th>"
        "<th>broken, blocking</th><th>verdict</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No contract results recorded yet.</p>"
    )
    intro = (
        "<p class='meta'>Every night the contracts in <code>expectations/contracts/</code> validate the build "
        "before it is published. A broken <em>block</em> promise keeps yesterday's marts in place; a broken "
        "<em>warn</em> promise is reported only.</p>"
    )
    return _page("Data contracts: runs", f"<h1>Data contracts: runs</h1>{intro}{table}")


def _run_page(
    run_id: str, results: list[tuple[Any, ...]], quarantined: dict[str, int], contracts: dict[str, Any]
) -> str:
    by_contract: dict[str, list[tuple[Any, ...]]] = {}
    for row in results:
        by_contract.setdefault(row[0], []).append(row)
    parts = [f"<p><a href='../index.html'>all runs</a></p><h1>Run {html.escape(run_id)}</h1>"]
    for name, rows in by_contract.items():
        contract = contracts.get(name)
        broken = [row for row in rows if not row[6]]
        status = (
            '<span class="pass">kept</span>'
            if not broken
            else (
                '<span class="fail">broken</span>'
                if any(row[1] == "block" for row in broken)
                else '<span class="warn">broken (warn)</span>'
            )
        )
        parts.append(f"<h2>{html.escape(name)}: {status}</h2>")
        if contract is not None:
            parts.append(
                f"<p><strong>{html.escape(contract.title)}</strong><br><span class='meta'>binds "
                f"{html.escape(', '.join(contract.binds))}; owner {html.escape(contract.owner)}; severity "
                f"{html.escape(contract.severity)}</span></p><p class='meta'>{html.escape(contract.description)}</p>"
            )
        if quarantined.get(name):
            parts.append(f"<p>{quarantined[name]} offending row(s) in <code>audit.quarantine</code>.</p>")
        cells = []
        for (
            _,
            severity,
            _owner,
            table,
            expectation,
            column,
            success,
            observed,
            unexpected,
            sample,
            promise,
            error,
        ) in rows:
            result = (
                '<span class="pass">pass</span>'
                if success
                else (
                    '<span class="fail">FAIL</span>' if severity == "block" else '<span class="warn">FAIL (warn)</span>'
                )
            )
            detail = html.escape(error) if error else ""
            if observed is not None:
                detail += f"<pre>observed {html.escape(json.dumps(observed))}</pre>"
            if sample:
                detail += f"<pre>{html.escape(json.dumps(sample, indent=1))}</pre>"
            cells.append(
                f"<tr><td>{html.escape(promise or expectation)}</td><td>{result}</td><td>{html.escape(severity)}</td>"
                f"<td><code>{html.escape(table)}</code></td><td><code>{html.escape(expectation)}</code>"
                f"{'<br>on ' + html.escape(column) if column else ''}</td>"
                f"<td>{'' if unexpected is None else unexpected}</td><td>{detail}</td></tr>"
            )
        parts.append(
            "<table><tr><th>promise</th><th>result</th><th>severity</th><th>table</th><th>expectation</th>"
            "<th>unexpected</th><th>observed / sample offending rows</th></tr>" + "".join(cells) + "</table>"
        )
    return _page(f"Data contracts: run {run_id}", "\n".join(parts))
