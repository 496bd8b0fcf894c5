"""The end-of-night summary `make demo` prints: what was loaded, built, checked and published."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg

from warehouse.dbt import dbt_result_counts

HEADLINE_MART = "marts.weekly_review"


@dataclass(frozen=True)
class RawLoad:
    table: str
    loaded_this_night: int
    rows_in_table: int
    distinct_records: int


@dataclass(frozen=True)
class Summary:
    raw_loads: list[RawLoad]
    dbt_counts: dict[str, int]
    contracts: list[tuple[str, bool, int]]  # (contract, kept (no blocking promise broken), warnings)
    bi_url: str
    published_tables: list[tuple[str, int]]  # (schema.table, rows) of the BI-facing schemas
    mart_rows: list[tuple[object, ...]]
    mart_columns: list[str]


def collect(warehouse_url: str) -> Summary:
    with psycopg.connect(warehouse_url) as conn:
        return Summary(
            raw_loads=_raw_loads(conn),
            dbt_counts=dbt_result_counts(),
            contracts=_latest_contract_run(conn),
            bi_url=_bi_url(conn, warehouse_url),
            **_published_mart(conn),
        )


def _raw_loads(conn: psycopg.Connection) -> list[RawLoad]:
    latest = conn.execute(
        """
        select distinct on (source, stream) source, stream, records
        from raw._batches where status = 'succeeded'
        order by source, stream, batch_id desc
        """
    ).fetchall()
    loads = []
    for source, stream, records in latest:
        table = psycopg.sql.Identifier("raw", f"{source}__{stream}")
        rows, distinct = conn.execute(
            psycopg.sql.SQL("select count(*), count(distinct record_id) from {}").format(table)
        ).fetchone() or (0, 0)
        loads.append(RawLoad(f"raw.{source}__{stream}", records, rows, distinct))
    return loads


def _latest_contract_run(conn: psycopg.Connection) -> list[tuple[str, bool, int]]:
    """Per contract of the latest run: whether every blocking promise held, and how many warnings broke."""
    rows = conn.execute(
        """
        with latest as (select run_id from audit.contract_results order by validated_at desc limit 1)
        select
            contract,
            coalesce(bool_and(success) filter (where severity = 'block'), true),
            count(*) filter (where severity = 'warn' and not success)
        from audit.contract_results where run_id = (select run_id from latest)
        group by contract order by contract
        """
    ).fetchall()
    return [(contract, kept, int(warnings)) for contract, kept, warnings in rows]


def _published_mart(conn: psycopg.Connection) -> dict[str, object]:
    tables = conn.execute(
        """
        select schemaname || '.' || relname from pg_stat_user_tables
        where schemaname = 'marts' or (schemaname = 'glossary' and relname = 'glossary_terms')
        order by schemaname desc, relname
        """
    ).fetchall()
    published = []
    for (name,) in tables:
        schema, table = name.split(".")
        count = conn.execute(psycopg.sql.SQL("select count(*) from {}").format(psycopg.sql.Identifier(schema, table)))
        published.append((name, int(count.fetchone()[0])))
    with conn.cursor() as cur:
        cur.execute(f"select * from {HEADLINE_MART} order by week_start desc, channel limit 8")
        columns = [column.name for column in cur.description or []]
        rows = cur.fetchall()
    return {"published_tables": published, "mart_rows": rows, "mart_columns": columns}


def _bi_url(conn: psycopg.Connection, warehouse_url: str) -> str:
    """The connection BI tools should use: as the read-only BI role when the roles bootstrap created it."""
    from warehouse.roles import BI

    if conn.execute("select 1 from pg_roles where rolname = %s", (BI,)).fetchone() is None:
        return without_password(warehouse_url)
    parts = urlsplit(warehouse_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{BI}@{host}"))


def without_password(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2 and ":" in netloc[0]:
        user = netloc[0].split(":", 1)[0]
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
    return url


def render(summary: Summary) -> str:
    lines = ["", "smarketing-warehouse: night complete", "", "Loaded into raw (this night / rows in table / records):"]
    for load in summary.raw_loads:
        lines.append(
            f"  {load.table:<36} {load.loaded_this_night:>8} / {load.rows_in_table:>8} / {load.distinct_records:>8}"
        )
    lines.append("dbt build: " + ", ".join(f"{count} {key}" for key, count in sorted(summary.dbt_counts.items())))
    kept = sum(1 for _, ok, _ in summary.contracts if ok)
    lines.append(f"Contracts: {kept} kept, {len(summary.contracts) - kept} broken (details: make contracts-docs)")
    for contract, ok, warnings in summary.contracts:
        note = f" ({warnings} warning{'s' if warnings != 1 else ''})" if warnings else ""
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {contract}{note}")
    lines.append(f"Published for BI at {summary.bi_url}")
    lines += [f"  {name:<36} {rows:>6} rows" for name, rows in summary.published_tables]
    lines += [f"First rows of {HEADLINE_MART} (latest weeks):", "  " + " | ".join(summary.mart_columns)]
    lines += ["  " + " | ".join(str(value) for value in row) for row in summary.mart_rows]
    return "\n".join(lines)
