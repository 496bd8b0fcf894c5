"""A scratch database for one benchmark run, on the embedded Postgres (or WAREHOUSE_URL's server), dropped after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from warehouse import services


@contextmanager
def scratch_database() -> Iterator[str]:
    """The URL of a new, empty database; it is dropped (connections and all) when the block ends."""
    server = services.ensure_warehouse()
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    try:
        yield f"{server.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')
