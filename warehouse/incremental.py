"""Carry the incremental tables into the night's build schemas: moved from the generation before the published
one when it is there, else copied from the published schemas.

A night builds into empty `build_<layer>` schemas and publishes them by renaming (write-audit-publish), so a
dbt incremental model would find no table to add to and rebuild in full every night. Before dbt runs, each
incremental table is carried into the build schema, and dbt then only rebuilds the records that changed
since: the staging models over raw JSON (dbt_project/macros/incremental_staging.sql) and the large per-contact
and per-person facts over them (dbt_project/macros/incremental_facts.sql). The published tables are never
written to, so a broken night leaves them as they were.

Two generations take turns. When a night publishes, the incremental tables of the build it retires are kept in
`previous_<layer>` (`keep_for_the_next_build`, called by warehouse/publish.py); the next night moves them into
its build schema (`alter table ... set schema`: no row is written, the indexes come along) and the models catch
up on two nights of changes, since the watermarks each table keeps say what it has seen. A generation is used
once: a broken night leaves it in its build schema, and the night after copies the published tables instead,
so a night never continues from an unvalidated table. Copying writes every carried table again, a cost that
grows with the data, not with the change (`bench/incremental_build.py` prints both ways). The previous
generation only replaces the copy: which tables are carried is decided on the published ones alone, and the
previous generation is used for a layer only when it holds every one of them under the same code, as of no
later than this night.

A table is carried only when the published one was built by the same code and as of no later than this
night. Each build layer records, before dbt runs, the fingerprint of every incremental model's code and
the night's `as_of` in `<layer>._incremental_state`, which publishes with the layer. A staging model's
fingerprint covers its file, every macro, its layer's YAML (the sources it reads, its tests) and
dbt_project.yml (its vars); a fact's covers the whole dbt project, because a fact applies the glossary
(seeds, glossary models) and the models upstream of it, and its tests are in it. A change to any of them, or
a backfill whose `as_of` is earlier, makes that night build the table in full.

The staging layer's state also records the whole project's fingerprint (row `(project)`). dbt's unit tests
check the code on fixed inputs, never the night's data, so a night runs them only when that fingerprint
differs from the published build's, whose unit tests passed on the same code (dbt recommends keeping them
out of production runs altogether; once per version of the code keeps them a gate of the first night that
deploys a change).
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse import config

log = logging.getLogger(__name__)

STATE_TABLE = "_incremental_state"
PREVIOUS_PREFIX = "previous_"  # the generation of incremental tables the published build retired
# Copies of the published tables at a time: Postgres copies a table in one backend, and two at a time were about
# a quarter faster than one on our two-core machines (four synthetic 800,000-row tables; bench/incremental_build.py
# prints each night's preparation, the copy included).
COPY_WORKERS = 2
PROJECT_STATE = "(project)"  # the state row of the whole project's code, in the staging layer
# The macros a carried model configures itself with: the watermarks they keep make a carried table safe.
STAGING_MARKER = "incremental_staging_config("
FACT_MARKER = "incremental_fact_config("
STATE_DDL = """
create table if not exists {schema}._incremental_state (
    model text primary key,
    fingerprint text not null,
    as_of timestamptz not null,
    recorded_at timestamptz not null default clock_timestamp()
)
"""


@dataclass(frozen=True)
class Carried:
    """The tables a night carried into its build: moved from the previous generation, or copied."""

    moved: list[str]
    copied: list[str]

    @property
    def tables(self) -> list[str]:
        return sorted(self.moved + self.copied)


@dataclass(frozen=True)
class IncrementalModel:
    name: str
    layer: str
    fingerprint: str


def incremental_models(project_dir: Path | None = None) -> list[IncrementalModel]:
    """The project's incremental models (staging and facts), with the layer (models/<layer>/...) each is
    built in."""
    project = project_dir or config.DBT_PROJECT_DIR
    whole = project_fingerprint(project)
    shared_by_layer: dict[str, bytes] = {}
    found = []
    for path in sorted((project / "models").rglob("*.sql")):
        text = path.read_bytes()
        layer = path.relative_to(project / "models").parts[0]
        if STAGING_MARKER.encode() in text:
            if layer not in shared_by_layer:
                shared_by_layer[layer] = _staging_code_digest(project, layer)
            shared = shared_by_layer[layer]
            found.append(IncrementalModel(path.stem, layer, hashlib.sha256(shared + text).hexdigest()))
        elif FACT_MARKER.encode() in text:
            found.append(IncrementalModel(path.stem, layer, whole))
    return found


def _staging_code_digest(project: Path, layer: str) -> bytes:
    """What a staging model's rows also depend on: dbt_project.yml (vars, configs), the macros, and its
    layer's YAML: the sources it reads, its docs and its tests (the kept rows of a carried table are not
    tested again unless the tests changed, macros/incremental_tests.sql)."""
    return _files_digest(
        project,
        [
            project / "dbt_project.yml",
            *(project / "macros").rglob("*.sql"),
            *(project / "models" / layer).rglob("*.yml"),
        ],
    )


def project_fingerprint(project_dir: Path | None = None) -> str:
    """The digest of every file that makes the project's data: dbt_project.yml, macros, models and seeds."""
    project = project_dir or config.DBT_PROJECT_DIR
    return _files_digest(
        project, [project / "dbt_project.yml", *_files_under(project, "macros", "models", "seeds")]
    ).hex()


def _files_under(project: Path, *folders: str) -> list[Path]:
    return [path for folder in folders for path in (project / folder).rglob("*") if path.is_file()]


def _files_digest(project: Path, paths: list[Path]) -> bytes:
    """One digest of the files' paths and contents, in path order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(project).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def carry_into_build(
    url: str,
    as_of: datetime.datetime,
    build_prefix: str,
    models: list[IncrementalModel],
    *,
    carry: bool = True,
) -> Carried:
    """Carry each still-valid incremental table into its build schema, and record this night's state.

    A layer's tables are moved from `previous_<layer>` when it holds all of them (the generation is dropped
    afterwards, used or not), else copied from the published layer, `COPY_WORKERS` at a time, largest first.
    The tables not carried (all of them when not `carry`) are absent from the build, and dbt builds them in full.
    """
    moved: list[IncrementalModel] = []
    to_copy: list[IncrementalModel] = []
    with psycopg.connect(url, autocommit=True) as conn:
        for layer in sorted({model.layer for model in models}):
            build, previous = build_prefix + layer, PREVIOUS_PREFIX + layer
            layer_models = [model for model in models if model.layer == layer]
            with conn.transaction():
                conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(build)))
                conn.execute(sql.SQL(STATE_DDL).format(schema=sql.Identifier(build)))
                published = _layer_state(conn, layer)
                carried = [m for m in layer_models if carry and _can_carry(m, published.get(m.name), as_of)]
                if carried and _holds_all(_layer_state(conn, previous), carried, as_of):
                    for model in carried:
                        conn.execute(
                            sql.SQL("alter table {} set schema {}").format(
                                sql.Identifier(previous, model.name), sql.Identifier(build)
                            )
                        )
                    moved += carried
                else:
                    to_copy += carried
                conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous)))
                for model in layer_models:
                    conn.execute(
                        sql.SQL("insert into {} (model, fingerprint, as_of) values (%s, %s, %s)").format(
                            sql.Identifier(build, STATE_TABLE)
                        ),
                        (model.name, model.fingerprint, as_of),
                    )
        to_copy.sort(key=lambda model: _table_bytes(conn, model.layer, model.name), reverse=True)
    with ThreadPoolExecutor(max_workers=COPY_WORKERS) as pool:
        list(pool.map(partial(_copy_published_table, url, build_prefix), to_copy))
    return Carried(moved=[model.name for model in moved], copied=[model.name for model in to_copy])


def _holds_all(
    state: dict[str, tuple[str, datetime.datetime]], models: list[IncrementalModel], as_of: datetime.datetime
) -> bool:
    """Whether a generation's state has every model, built by the same code as of no later than `as_of` (the
    rule the published tables are carried by)."""
    return all(_why_not_carried(model, state.get(model.name), as_of) is None for model in models)


def keep_for_the_next_build(conn: psycopg.Connection, retired: str, layer: str) -> list[str]:
    """Move the incremental tables of a `retired` layer, and their state, into a fresh `previous_<layer>` (an
    older one is dropped; none is made when `retired` has no state); return the tables kept. Called by publish
    inside its transaction."""
    previous = PREVIOUS_PREFIX + layer
    conn.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(previous)))
    kept = list(_layer_state(conn, retired))
    if not kept:
        return []
    conn.execute(sql.SQL("create schema {}").format(sql.Identifier(previous)))
    for table in [STATE_TABLE, *kept]:
        conn.execute(
            sql.SQL("alter table {} set schema {}").format(sql.Identifier(retired, table), sql.Identifier(previous))
        )
    return kept


def _table_bytes(conn: psycopg.Connection, schema: str, table: str) -> int:
    return conn.execute(
        "select pg_table_size(%s::regclass)", (sql.Identifier(schema, table).as_string(conn),)
    ).fetchone()[0]


def _copy_published_table(url: str, build_prefix: str, model: IncrementalModel) -> None:
    """One published table into the build schema, with the indexes dbt gave it (the model's `indexes`), on a
    connection of its own (one backend per copy)."""
    copy = sql.Identifier(build_prefix + model.layer, model.name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("create table {} as table {}").format(copy, sql.Identifier(model.layer, model.name)))
        for (definition,) in conn.execute(
            "select indexdef from pg_indexes where schemaname = %s and tablename = %s", (model.layer, model.name)
        ).fetchall():
            # "CREATE [UNIQUE] INDEX <name> ON <schema>.<table> USING <method> (<columns>)": Postgres names the copy's
            unique = sql.SQL("unique " if definition.startswith("CREATE UNIQUE") else "")
            method_and_columns = sql.SQL(definition.partition(" USING ")[2])
            conn.execute(sql.SQL("create {}index on {} using {}").format(unique, copy, method_and_columns))


def record_project(
    conn: psycopg.Connection, as_of: datetime.datetime, build_prefix: str, fingerprint: str, *, carry: bool = True
) -> bool:
    """Record the project's fingerprint in the build's staging state; return whether the night must run the
    unit tests: always when not `carry`, else unless the published build was made by the same code."""
    build = build_prefix + "staging"
    with conn.transaction():
        conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(build)))
        conn.execute(sql.SQL(STATE_DDL).format(schema=sql.Identifier(build)))
        published = None
        if conn.execute("select to_regclass(%s)", (f"staging.{STATE_TABLE}",)).fetchone()[0]:
            row = conn.execute(
                sql.SQL("select fingerprint from {} where model = %s").format(sql.Identifier("staging", STATE_TABLE)),
                (PROJECT_STATE,),
            ).fetchone()
            published = row and row[0]
        conn.execute(
            sql.SQL("insert into {} (model, fingerprint, as_of) values (%s, %s, %s)").format(
                sql.Identifier(build, STATE_TABLE)
            ),
            (PROJECT_STATE, fingerprint, as_of),
        )
    due = not carry or published != fingerprint
    log.info("dbt unit tests: %s", "run" if due else "skipped, the published build's code is the same")
    return due


def data_columns(conn: psycopg.Connection, schema: str, table: str) -> sql.Composed:
    """The columns of an incremental table without its bookkeeping (`_raw_table`, `_cursor_value`,
    `_transformed_at`), as a select list: what a full build and an incremental one must agree on."""
    names = conn.execute(
        "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
        " and column_name not like '\\_%%' order by ordinal_position",
        (schema, table),
    ).fetchall()
    return sql.SQL(", ").join(sql.Identifier(name) for (name,) in names)


def _layer_state(conn: psycopg.Connection, schema: str) -> dict[str, tuple[str, datetime.datetime]]:
    """{model: (fingerprint, as_of)} of the incremental tables of `schema` that exist ({} without a state)."""
    exists = conn.execute(
        "select 1 from pg_tables where schemaname = %s and tablename = %s", (schema, STATE_TABLE)
    ).fetchone()
    if not exists:
        return {}
    rows = conn.execute(
        sql.SQL(
            "select state.model, state.fingerprint, state.as_of from {} as state"
            " join pg_tables on pg_tables.schemaname = %s and pg_tables.tablename = state.model"
        ).format(sql.Identifier(schema, STATE_TABLE)),
        (schema,),
    ).fetchall()
    return {model: (fingerprint, as_of) for model, fingerprint, as_of in rows}


def _can_carry(
    model: IncrementalModel, published: tuple[str, datetime.datetime] | None, as_of: datetime.datetime
) -> bool:
    reason = _why_not_carried(model, published, as_of)
    if reason:
        log.info("%s: %s; built in full", model.name, reason)
    return reason is None


def _why_not_carried(
    model: IncrementalModel, state: tuple[str, datetime.datetime] | None, as_of: datetime.datetime
) -> str | None:
    """Why a table with this (fingerprint, as_of) state may not be carried into this night; None when it may."""
    if state is None:
        return "nothing published to carry"
    fingerprint, built_as_of = state
    if fingerprint != model.fingerprint:
        return "its code, a macro or dbt_project.yml changed since it was published"
    if built_as_of > as_of:
        return f"published as of {built_as_of}, later than {as_of} (a backfill)"
    return None
