"""Publish a night's build: swap every `build_<layer>` schema into `<layer>` in one transaction.

dbt builds into build schemas and the contracts validate them there; only then does this swap make
them the published ones. A BI session sees either yesterday's layers or today's, never a mix: the
renames and the drop of the retired schemas commit together. Tables, not views, are what BI reads,
so nothing outside the swapped schemas stays bound to a retired table.

Grants on tables move with a renamed schema, but each night's build schemas are new: the same transaction
first grants every `build_<layer>` what its layer grants (`warehouse.roles.grant_published_layers`; nothing
when the roles were never bootstrapped), so BI never sees a published schema it may not use.

The retired layers are dropped, except their incremental tables (those their `_incremental_state` lists) and
that state: these move to `previous_<layer>`, a schema no reader is granted, where the next night's build takes
them instead of copying the published ones (warehouse/incremental.py). That keeps one more generation of the
incremental tables on disk between nights, and no other table.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

from warehouse import incremental

# The dbt layers the pipeline publishes; dbt_project.yml gives each its `+schema`.
LAYERS = ("staging", "glossary", "intermediate", "marts")
BUILD_PREFIX = "build_"
RETIRED_PREFIX = "retired_"


class PublishError(RuntimeError):
    """The build is incomplete: nothing was swapped."""


def publish(conn: psycopg.Connection, layers: tuple[str, ...] = LAYERS) -> list[str]:
    """Swap the build schemas of `layers` into place atomically; return the published schema names."""
    with conn.transaction():
        present = {
            row[0]
            for row in conn.execute("select nspname from pg_namespace where nspname like %s", (BUILD_PREFIX + "%",))
        }
        missing = [BUILD_PREFIX + layer for layer in layers if BUILD_PREFIX + layer not in present]
        if missing:
            raise PublishError(f"cannot publish: build schema(s) {', '.join(missing)} missing; nothing was swapped")
        from warehouse import roles  # imports this module's LAYERS

        roles.grant_published_layers(conn, layers)
        for layer in layers:
            published = sql.Identifier(layer)
            retired = sql.Identifier(RETIRED_PREFIX + layer)
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(retired))
            if _exists(conn, layer):
                conn.execute(sql.SQL("alter schema {} rename to {}").format(published, retired))
            conn.execute(
                sql.SQL("alter schema {} rename to {}").format(sql.Identifier(BUILD_PREFIX + layer), published)
            )
            incremental.keep_for_the_next_build(conn, RETIRED_PREFIX + layer, layer)
            conn.execute(sql.SQL("drop schema if exists {} cascade").format(retired))
    return list(layers)


def _exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (schema,)).fetchone() is not None
