"""Least-privilege warehouse roles and their grants: one idempotent bootstrap for the demo and the compose stack.

- `smarketing_loader` (the extractors): creates tables in `raw`, reads and writes them; nothing else.
- `smarketing_transformer` (dbt, the contracts): reads `raw`, creates the `build_*` schemas (CREATE on the
  database), reads every published layer, writes `audit`; cannot write `raw`.
- `smarketing_bi` (BI tools): reads the published `marts` and `glossary.glossary_terms`; not `raw`, `staging`,
  `intermediate` or the other glossary tables.
- `smarketing_analyst`: reads every published layer, `audit` and the raw tables without personal data, builds in
  its `dev_<name>` schemas; never reads personal data (the raw tables in `PII_RAW_TABLES`, any column matching
  `PII_COLUMN_PATTERN`).

The four roles are LOGIN roles. A password comes from `SMARKETING_<ROLE>_PASSWORD` (e.g. SMARKETING_BI_PASSWORD)
and is stored as a SCRAM verifier computed on the client, so the plain password never reaches the server's logs;
a role whose variable is unset keeps the password it has (none for a new role: it cannot log in with a password,
though the embedded demo server trusts loopback connections).

Grants on a table move with it when `warehouse.publish` renames `build_<layer>` to `<layer>`, but a build schema is
created afresh every night, so USAGE on it is granted there, inside the publish transaction, by
`grant_published_layers` (and the raw and audit read grants of the analyst are refreshed with it: new raw tables
appear when a stream first loads). Default privileges cover the schemas that persist (`raw`, `audit`): tables the
pipeline's own user or the owning role creates there later keep the grants. The analyst gets no default privilege on
`raw` on purpose: a new raw table stays closed to it until the next bootstrap or publish has checked it against the
PII list, rather than open until someone notices.

Personal data is matched by name: `PII_RAW_TABLES` (raw records with names or email addresses, also in free text
such as call titles) and `PII_COLUMN_PATTERN` (columns of built tables). Of a table with such a column, BI and
analysts get the other columns only (column-level SELECT). docs/production.md lists them.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence

import psycopg
from psycopg import sql

from warehouse.publish import BUILD_PREFIX, LAYERS

LOADER = "smarketing_loader"
TRANSFORMER = "smarketing_transformer"
BI = "smarketing_bi"
ANALYST = "smarketing_analyst"
ROLES: dict[str, str] = {
    LOADER: "extractors: writes raw only",
    TRANSFORMER: "dbt and the contracts: reads raw, builds the build_* schemas, writes audit",
    BI: "BI tools: reads the published marts and glossary.glossary_terms only",
    ANALYST: "analysts: reads everything but personal data, builds in dev_<name> schemas",
}

RAW_SCHEMA = "raw"
AUDIT_SCHEMA = "audit"
DEV_PREFIX = "dev_"

# Who reads each published layer; BI reads every table of `marts` but only `glossary_terms` of `glossary`.
LAYER_READERS: dict[str, tuple[str, ...]] = {
    "staging": (TRANSFORMER, ANALYST),
    "glossary": (TRANSFORMER, ANALYST),
    "intermediate": (TRANSFORMER, ANALYST),
    "marts": (TRANSFORMER, ANALYST, BI),
}
BI_GLOSSARY_TABLES = ("glossary_terms",)
# Who never sees a personal-data column of a built table (the transformer builds them, so it reads them all).
PII_RESTRICTED = (BI, ANALYST)

# Raw tables whose records carry personal data: contacts (email, names), owners (the sales team's names and
# emails), calls/emails/meetings (titles and subjects name the contact), rejects (any record, contacts included).
PII_RAW_TABLES = frozenset(
    {"hubspot__contacts", "hubspot__owners", "hubspot__calls", "hubspot__emails", "hubspot__meetings", "_rejects"}
)
# Columns of built tables that hold personal data, by name (a regular expression Postgres and Python read alike):
# anything with "email" or "phone" in it (`email`, `owner_email`, `mobile_phone`), a person's names, and
# `person_key`, the normalised email address dbt groups people by in intermediate, under any prefix
# (`_previous_person_key`). It errs on the safe side: a metric named `emails_sent` would be withheld too
# (tests/security/test_pii.py keeps such names out of marts).
PII_COLUMN_PATTERN = r"email|phone|^(first|middle|last|full)_name$|person_key$"
# audit keeps copies of checked rows: quarantined rows and the sample values of failed expectations.
AUDIT_PII_COLUMN_PATTERN = r"^(row|sample)$|" + PII_COLUMN_PATTERN

PASSWORD_VARIABLE = "{role}_PASSWORD"  # noqa: S105 (a variable name)
DEV_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
# pg_advisory_xact_lock key: concurrent bootstraps/publishes of one database take turns ("smarketing roles").
LOCK_KEY = 0x736D_726F_6C65


class RoleSetupError(RuntimeError):
    """The bootstrap cannot run with this connection (for example its user may not create roles)."""


# --- passwords ----------------------------------------------------------------------------------------------


def password_variable(role: str) -> str:
    """`SMARKETING_BI_PASSWORD` for `smarketing_bi`."""
    return PASSWORD_VARIABLE.format(role=role.upper())


def passwords_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{role: password} for every role whose `SMARKETING_<ROLE>_PASSWORD` is set and not blank."""
    environ = os.environ if environ is None else environ
    found = {role: environ.get(password_variable(role), "").strip() for role in ROLES}
    return {role: password for role, password in found.items() if password}


# --- the bootstrap ------------------------------------------------------------------------------------------


def bootstrap(conn: psycopg.Connection, passwords: Mapping[str, str] | None = None) -> None:
    """Create the roles and apply every grant, in one transaction; running it again changes nothing."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        _check_can_bootstrap(conn)
        for role, comment in ROLES.items():
            _ensure_role(conn, role, comment)
        for role, password in (passwords or {}).items():
            _set_password(conn, role, password)
        _grant_database(conn)
        for schema in (RAW_SCHEMA, AUDIT_SCHEMA):
            conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
        _grant_raw(conn)
        _grant_audit(conn)
        _default_privileges(conn)
        for layer in LAYERS:
            if _schema_exists(conn, layer):
                grant_layer(conn, layer, layer)


def bootstrapped(url: str) -> str:
    """Bootstrap the warehouse at `url` with the passwords in the environment and return `url` (for the demo)."""
    with psycopg.connect(url, autocommit=True) as conn:
        bootstrap(conn, passwords_from_env())
    return url


def _check_can_bootstrap(conn: psycopg.Connection) -> None:
    superuser, createrole = conn.execute(
        "select rolsuper, rolcreaterole from pg_roles where rolname = current_user"
    ).fetchone()
    if not (superuser or createrole):
        raise RoleSetupError(
            "the warehouse user may not create roles: run `python -m warehouse.roles` with WAREHOUSE_URL "
            "pointing at a superuser or a user with CREATEROLE that owns the database"
        )


def _ensure_role(conn: psycopg.Connection, role: str, comment: str) -> None:
    """A LOGIN role without special powers; an existing role keeps its attributes (an admin may have changed them)."""
    if not _role_exists(conn, role):
        try:
            with conn.transaction():  # a savepoint: another database's bootstrap may create it at the same moment
                conn.execute(sql.SQL("create role {} with login").format(sql.Identifier(role)))
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass
    current = conn.execute("select shobj_description(%s::regrole, 'pg_authid')", (role,)).fetchone()[0]
    if current != comment:
        conn.execute(sql.SQL("comment on role {} is {}").format(sql.Identifier(role), sql.Literal(comment)))
    if not _is_superuser(conn) and not _is_member(conn, role):
        # Without superuser, `alter default privileges for role ...` needs membership (PostgreSQL 16+ gives the
        # creator ADMIN OPTION only); SET without INHERIT would do, but 15 and older know only plain membership.
        conn.execute(sql.SQL("grant {} to current_user").format(sql.Identifier(role)))


def _set_password(conn: psycopg.Connection, role: str, password: str) -> None:
    if role not in ROLES:
        raise RoleSetupError(f"unknown role {role!r}: the roles are {', '.join(ROLES)}")
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
    conn.execute(sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(verifier)))


def _grant_database(conn: psycopg.Connection) -> None:
    database = sql.Identifier(conn.info.dbname)
    conn.execute(sql.SQL("grant connect, temporary on database {} to {}").format(database, _roles(*ROLES)))
    # dbt creates build_staging, build_marts, ... itself (`create schema if not exists`).
    conn.execute(sql.SQL("grant create on database {} to {}").format(database, sql.Identifier(TRANSFORMER)))


def _grant_raw(conn: psycopg.Connection) -> None:
    raw = sql.Identifier(RAW_SCHEMA)
    conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(raw, sql.Identifier(LOADER)))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(raw, _roles(TRANSFORMER, ANALYST)))
    conn.execute(
        sql.SQL("grant select, insert, update on all tables in schema {} to {}").format(raw, sql.Identifier(LOADER))
    )
    conn.execute(
        sql.SQL("grant usage, select, update on all sequences in schema {} to {}").format(raw, sql.Identifier(LOADER))
    )
    conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(raw, sql.Identifier(TRANSFORMER)))
    refresh_analyst_raw_reads(conn)


def _grant_audit(conn: psycopg.Connection) -> None:
    audit = sql.Identifier(AUDIT_SCHEMA)
    transformer = sql.Identifier(TRANSFORMER)
    conn.execute(sql.SQL("grant usage, create on schema {} to {}").format(audit, transformer))
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(audit, sql.Identifier(ANALYST)))
    conn.execute(
        sql.SQL("grant select, insert, update, delete on all tables in schema {} to {}").format(audit, transformer)
    )
    conn.execute(sql.SQL("grant usage, select on all sequences in schema {} to {}").format(audit, transformer))
    refresh_analyst_audit_reads(conn)


def _default_privileges(conn: psycopg.Connection) -> None:
    """What tables created later in raw and audit grant, whoever of the pipeline's creators makes them."""
    loader, transformer = sql.Identifier(LOADER), sql.Identifier(TRANSFORMER)
    raw, audit = sql.Identifier(RAW_SCHEMA), sql.Identifier(AUDIT_SCHEMA)
    creators = {"raw": (LOADER, _current_user(conn)), "audit": (TRANSFORMER, _current_user(conn))}
    statements = {
        "raw": [
            sql.SQL("grant select, insert, update on tables to {}").format(loader),
            sql.SQL("grant usage, select, update on sequences to {}").format(loader),
            sql.SQL("grant select on tables to {}").format(transformer),
        ],
        "audit": [
            sql.SQL("grant select, insert, update, delete on tables to {}").format(transformer),
            sql.SQL("grant usage, select on sequences to {}").format(transformer),
        ],
    }
    for schema_name, schema in (("raw", raw), ("audit", audit)):
        for creator in dict.fromkeys(creators[schema_name]):
            for statement in statements[schema_name]:
                conn.execute(
                    sql.SQL("alter default privileges for role {} in schema {} ").format(
                        sql.Identifier(creator), schema
                    )
                    + statement
                )


# --- published layers (also called by warehouse.publish inside its transaction) ----------------------------


def grant_published_layers(conn: psycopg.Connection, layers: Sequence[str] = LAYERS) -> None:
    """Grant each `build_<layer>` what `<layer>` grants, just before publish renames it; no-op without the roles.

    Also refreshes the analyst's reads of raw and audit, whose new tables (a new stream, the first contract run)
    appear during a night.
    """
    if not _existing_roles(conn):
        return
    conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
    for layer in layers:
        grant_layer(conn, BUILD_PREFIX + layer, layer)
    if _schema_exists(conn, RAW_SCHEMA):
        refresh_analyst_raw_reads(conn)
    if _schema_exists(conn, AUDIT_SCHEMA):
        refresh_analyst_audit_reads(conn)


def grant_layer(conn: psycopg.Connection, schema: str, layer: str) -> None:
    """USAGE on `schema` and SELECT on its tables for the readers of `layer`; BI and analysts never get PII columns."""
    existing = _existing_roles(conn)
    readers = [role for role in LAYER_READERS[layer] if role in existing]
    if layer == "glossary" and BI in existing:
        readers.append(BI)  # for glossary_terms only
    if not readers:
        return
    target = sql.Identifier(schema)
    conn.execute(sql.SQL("grant usage on schema {} to {}").format(target, _roles(*readers)))
    whole_schema = [role for role in readers if _reads_every_table(layer, role)]
    if whole_schema:
        conn.execute(sql.SQL("grant select on all tables in schema {} to {}").format(target, _roles(*whole_schema)))
    for role in readers:
        if not _reads_every_table(layer, role):
            for table in BI_GLOSSARY_TABLES:
                if table in _tables(conn, schema):
                    conn.execute(
                        sql.SQL("grant select on {} to {}").format(sql.Identifier(schema, table), sql.Identifier(role))
                    )
    for table, columns in _tables_with_columns(conn, schema, PII_COLUMN_PATTERN).items():
        restricted = [
            role
            for role in readers
            if role in PII_RESTRICTED and (_reads_every_table(layer, role) or table in BI_GLOSSARY_TABLES)
        ]
        _grant_columns_only(conn, schema, table, columns, restricted)


def _reads_every_table(layer: str, role: str) -> bool:
    return not (layer == "glossary" and role == BI)


def refresh_analyst_raw_reads(conn: psycopg.Connection) -> None:
    """The analyst reads every raw table except those holding personal data."""
    if ANALYST not in _existing_roles(conn):
        return
    analyst = sql.Identifier(ANALYST)
    for table in _tables(conn, RAW_SCHEMA):
        statement = "revoke select on {} from {}" if table in PII_RAW_TABLES else "grant select on {} to {}"
        conn.execute(sql.SQL(statement).format(sql.Identifier(RAW_SCHEMA, table), analyst))


def refresh_analyst_audit_reads(conn: psycopg.Connection) -> None:
    """The analyst reads audit (contract results, publications) but not the copies of checked rows."""
    if ANALYST not in _existing_roles(conn):
        return
    conn.execute(
        sql.SQL("grant select on all tables in schema {} to {}").format(
            sql.Identifier(AUDIT_SCHEMA), sql.Identifier(ANALYST)
        )
    )
    for table, columns in _tables_with_columns(conn, AUDIT_SCHEMA, AUDIT_PII_COLUMN_PATTERN).items():
        _grant_columns_only(conn, AUDIT_SCHEMA, table, columns, [ANALYST])


def _grant_columns_only(
    conn: psycopg.Connection, schema: str, table: str, withheld: Iterable[str], roles: Sequence[str]
) -> None:
    """Replace a table-level SELECT by SELECT on every column except `withheld`."""
    if not roles:
        return
    withheld = set(withheld)
    columns = [column for column in _columns(conn, schema, table) if column not in withheld]
    relation = sql.Identifier(schema, table)
    conn.execute(sql.SQL("revoke select on {} from {}").format(relation, _roles(*roles)))
    if columns:
        conn.execute(
            sql.SQL("grant select ({}) on {} to {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), relation, _roles(*roles)
            )
        )


# --- personal dev schemas -----------------------------------------------------------------------------------


def create_dev_schemas(conn: psycopg.Connection, name: str, owner: str = ANALYST) -> list[str]:
    """`dev_<name>` and `dev_<name>_<layer>` (dbt's schema names for target schema `dev_<name>`), owned by `owner`.

    Analysts get no CREATE on the database: with it they could create `build_marts` before dbt does, and publish
    would put their tables in front of BI. An admin runs this once per analyst instead.
    """
    if not DEV_NAME.match(name):
        raise RoleSetupError(f"a dev schema name is lower case letters, digits and _, starting with a letter: {name!r}")
    schemas = [DEV_PREFIX + name, *(f"{DEV_PREFIX}{name}_{layer}" for layer in LAYERS)]
    with conn.transaction():
        for schema in schemas:
            conn.execute(
                sql.SQL("create schema if not exists {} authorization {}").format(
                    sql.Identifier(schema), sql.Identifier(owner)
                )
            )
            conn.execute(sql.SQL("alter schema {} owner to {}").format(sql.Identifier(schema), sql.Identifier(owner)))
    return schemas


# --- catalog helpers ----------------------------------------------------------------------------------------


def _roles(*roles: str) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, roles))


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone() is not None


def _existing_roles(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", (list(ROLES),)).fetchall()
    return {row[0] for row in rows}


def _current_user(conn: psycopg.Connection) -> str:
    return conn.execute("select current_user").fetchone()[0]


def _is_superuser(conn: psycopg.Connection) -> bool:
    return conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]


def _is_member(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("select pg_has_role(current_user, %s, 'member')", (role,)).fetchone()[0]


def _schema_exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None


def _tables(conn: psycopg.Connection, schema: str) -> list[str]:
    """Tables, views and materialised views of `schema` (what `grant ... on all tables` covers)."""
    rows = conn.execute(
        "select relname from pg_class where relnamespace = %s::regnamespace "
        "and relkind in ('r', 'p', 'v', 'm', 'f') order by relname",
        (schema,),
    ).fetchall()
    return [row[0] for row in rows]


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped "
        "order by attnum",
        (sql.Identifier(schema, table).as_string(conn),),
    ).fetchall()
    return [row[0] for row in rows]


def _tables_with_columns(conn: psycopg.Connection, schema: str, pattern: str) -> dict[str, list[str]]:
    """{table: [its columns matching `pattern`]} for the tables of `schema` that have any."""
    rows = conn.execute(
        "select class.relname, attribute.attname from pg_attribute as attribute "
        "join pg_class as class on class.oid = attribute.attrelid "
        "where class.relnamespace = %s::regnamespace and class.relkind in ('r', 'p', 'v', 'm', 'f') "
        "and attribute.attnum > 0 and not attribute.attisdropped and attribute.attname ~ %s "
        "order by 1, 2",
        (schema, pattern),
    ).fetchall()
    found: dict[str, list[str]] = {}
    for table, column in rows:
        found.setdefault(table, []).append(column)
    return found


# --- command line -------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m warehouse.roles",
        description="Create the smarketing_* roles and apply their grants to WAREHOUSE_URL's database (idempotent).",
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("bootstrap", help="roles and grants (the default)")
    dev = commands.add_parser("dev-schemas", help="create dev_<name> and dev_<name>_<layer> for an analyst")
    dev.add_argument("name", help="lower case, e.g. alice: gives dev_alice, dev_alice_staging, ...")
    dev.add_argument("--owner", default=ANALYST, help=f"role owning them (default {ANALYST}, shared by analysts)")
    args = parser.parse_args(argv)

    from warehouse import config

    try:
        with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
            if args.command == "dev-schemas":
                print("created: " + ", ".join(create_dev_schemas(conn, args.name, args.owner)))
                return 0
            passwords = passwords_from_env()
            bootstrap(conn, passwords)
    except (config.ConfigError, RoleSetupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from_variables = ", ".join(password_variable(role) for role in passwords) or "none"
    print(f"roles ready: {', '.join(ROLES)} (passwords set from: {from_variables})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
