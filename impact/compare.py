"""Base versus head numbers: every agreed metric of the rebuilt published marts at the mart's grain, and the
rows of the intermediate tables that moved (MQL entries that stop or start counting, people whose channel
changed). Comparisons run in Postgres; only differing rows come back."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from impact.build import relation

NULL_KEY = "<impact:null>"  # stands for a NULL grain value in the join (a full join needs a hashable condition)
ADDITIVE_TYPES = ("bigint", "integer", "int", "smallint")


@dataclass(frozen=True)
class MartSpec:
    """A published mart: its grain (from its uniqueness test) and its agreed metrics (`meta.glossary_term`)."""

    unique_id: str
    name: str
    grain: tuple[str, ...]
    metrics: dict[str, str]  # column -> glossary term
    additive: frozenset[str]  # metrics whose sum over rows means something (counts, amounts)


@dataclass(frozen=True)
class Delta:
    mart: str
    grain: dict[str, Any]
    metric: str
    term: str
    base: Any
    head: Any

    @property
    def change(self) -> Any:
        return (self.head or 0) - (self.base or 0)

    @property
    def relative(self) -> float | None:
        return float(self.change) / float(self.base) if self.base else None


@dataclass
class MartComparison:
    spec: MartSpec
    deltas: list[Delta] = field(default_factory=list)
    totals: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # additive metric -> (base sum, head sum)
    note: str = ""


def mart_specs(manifest: dict[str, Any], mart_ids: list[str]) -> list[MartSpec]:
    tests = [node for node in manifest["nodes"].values() if node["resource_type"] == "test"]
    specs = []
    for unique_id in mart_ids:
        node = manifest["nodes"][unique_id]
        grain = _grain(node, [t for t in tests if t.get("attached_node") == unique_id])
        metrics = {
            name: column["meta"]["glossary_term"]
            for name, column in node["columns"].items()
            if (column.get("meta") or {}).get("glossary_term") and name not in grain
        }
        additive = frozenset(name for name in metrics if _additive(node["columns"][name].get("data_type") or ""))
        specs.append(MartSpec(unique_id, node["name"], grain, metrics, additive))
    return specs


def _grain(node: dict[str, Any], tests: list[dict[str, Any]]) -> tuple[str, ...]:
    for test in tests:
        meta = test.get("test_metadata") or {}
        if meta.get("name") == "unique_combination":
            return tuple(meta["kwargs"]["columns"])
    for test in tests:
        meta = test.get("test_metadata") or {}
        if meta.get("name") == "unique" and test.get("column_name"):
            return (test["column_name"],)
    return ()


def _additive(data_type: str) -> bool:
    data_type = data_type.lower().replace(" ", "")
    return data_type in ADDITIVE_TYPES or (data_type.startswith("numeric(") and "," in data_type)


def _key_join(grain: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(" and ").join(
        sql.SQL("coalesce(b.{c}::text, {n}) = coalesce(h.{c}::text, {n})").format(
            c=sql.Identifier(c), n=sql.Literal(NULL_KEY)
        )
        for c in grain
    )


def compare_mart(
    conn: psycopg.Connection, spec: MartSpec, base: dict[str, Any], head: dict[str, Any]
) -> MartComparison:
    result = MartComparison(spec)
    if not spec.grain or not spec.metrics:
        result.note = "no grain declared (unique test) or no agreed metric: not compared"
        return result
    base_rel, head_rel = (sql.Identifier(*relation(node)) for node in (base, head))
    metrics = list(spec.metrics)
    query = sql.SQL(
        "select {keys}, {pairs} from {b} as b full join {h} as h on {join} where {differs} order by {order}"
    ).format(
        keys=sql.SQL(", ").join(sql.SQL("coalesce(b.{0}, h.{0})").format(sql.Identifier(c)) for c in spec.grain),
        pairs=sql.SQL(", ").join(sql.SQL("b.{0}, h.{0}").format(sql.Identifier(m)) for m in metrics),
        b=base_rel,
        h=head_rel,
        join=_key_join(spec.grain),
        differs=sql.SQL(" or ").join(
            sql.SQL("b.{0} is distinct from h.{0}").format(sql.Identifier(m)) for m in metrics
        ),
        order=sql.SQL(", ").join(sql.SQL(str(i + 1)) for i in range(len(spec.grain))),
    )
    for row in conn.execute(query).fetchall():
        grain = dict(zip(spec.grain, row[: len(spec.grain)], strict=True))
        values = row[len(spec.grain) :]
        for index, metric in enumerate(metrics):
            before, after = values[2 * index], values[2 * index + 1]
            if before != after and not (metric in spec.additive and (before or 0) == (after or 0)):
                result.deltas.append(Delta(spec.name, grain, metric, spec.metrics[metric], before, after))
    result.totals = _totals(conn, spec, base_rel, head_rel)
    return result


def _totals(conn: psycopg.Connection, spec: MartSpec, base_rel: sql.Composable, head_rel: sql.Composable) -> dict:
    additive = [m for m in spec.metrics if m in spec.additive]
    if not additive:
        return {}
    sums = sql.SQL(", ").join(sql.SQL("sum({})").format(sql.Identifier(m)) for m in additive)
    base_row = conn.execute(sql.SQL("select {} from {}").format(sums, base_rel)).fetchone()
    head_row = conn.execute(sql.SQL("select {} from {}").format(sums, head_rel)).fetchone()
    return {m: (_zero(b), _zero(h)) for m, b, h in zip(additive, base_row, head_row, strict=True)}


def _zero(value: Any) -> Any:
    return Decimal(0) if value is None else value


# ---- rows that moved ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mover:
    """Rows of an intermediate model to follow: matched on `key`, compared on `compare`, shown by `show`.

    Keys that are personal data (person_key is a normalised email) are joined on but never shown.
    """

    model: str
    title: str
    key: tuple[str, ...]
    compare: tuple[str, ...]
    show: tuple[str, ...]


MOVERS = (
    Mover(
        model="int_mql_entries",
        title="MQL entries (a removed entry no longer counts as an MQL; an added one now does)",
        key=("person_key", "contact_id", "entered_at"),
        compare=("is_first_mql",),
        show=("contact_id", "entered_at", "is_inferred"),
    ),
    Mover(
        model="int_people",
        title="People whose channel changed (all their funnel events move with them)",
        key=("person_key",),
        compare=("channel",),
        show=("first_contact_id", "first_created_at"),
    ),
)


@dataclass
class MovedRows:
    mover: Mover
    columns: list[str]
    rows: list[tuple[Any, ...]]  # status, shown columns, then base/head of each compared column

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row[0] == status)


def moved_rows(conn: psycopg.Connection, mover: Mover, base: dict[str, Any], head: dict[str, Any]) -> MovedRows:
    status = sql.SQL(
        "case when b.{k} is null then 'added' when h.{k} is null then 'removed' else 'changed' end"
    ).format(k=sql.Identifier(mover.key[0]))
    query = sql.SQL(
        "select {status}, {shown}, {pairs} from {b} as b full join {h} as h on {join} "
        "where b.{k} is null or h.{k} is null or {differs} order by 1, 2, 3"
    ).format(
        status=status,
        shown=sql.SQL(", ").join(sql.SQL("coalesce(b.{0}, h.{0})").format(sql.Identifier(c)) for c in mover.show),
        pairs=sql.SQL(", ").join(sql.SQL("b.{0}, h.{0}").format(sql.Identifier(c)) for c in mover.compare),
        b=sql.Identifier(*relation(base)),
        h=sql.Identifier(*relation(head)),
        join=_key_join(mover.key),
        k=sql.Identifier(mover.key[0]),
        differs=sql.SQL(" or ").join(
            sql.SQL("b.{0} is distinct from h.{0}").format(sql.Identifier(c)) for c in mover.compare
        ),
    )
    columns = ["status", *mover.show, *[f"{c} ({side})" for c in mover.compare for side in ("base", "head")]]
    return MovedRows(mover, columns, [tuple(row) for row in conn.execute(query).fetchall()])
