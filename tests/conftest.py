"""Session fixtures: one embedded Postgres per checkout (or WAREHOUSE_URL), a fresh database per test module."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from warehouse.config import LOCAL_DIR
from warehouse.embedded import EmbeddedPostgres


@pytest.fixture(scope="session")
def server_url() -> str:
    """URL of a maintenance database on the Postgres server the tests use."""
    if os.environ.get("WAREHOUSE_URL"):
        return os.environ["WAREHOUSE_URL"]
    postgres = EmbeddedPostgres(LOCAL_DIR / "postgres")
    postgres.start()
    return postgres.url("postgres")


@pytest.fixture(scope="module")
def warehouse_url(server_url: str) -> Iterator[str]:
    """A new, empty database for this test module, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    base, _, _ = server_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
