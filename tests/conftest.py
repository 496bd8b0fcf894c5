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
def server_url() -> Iterator[str]:
    """URL of a maintenance database on the Postgres server the tests use.

    The embedded server is stopped afterwards when the tests started it (not when `make demo` had).
    """
    if os.environ.get("WAREHOUSE_URL"):
        yield os.environ["WAREHOUSE_URL"]
        return
    postgres = EmbeddedPostgres(LOCAL_DIR / "postgres")
    was_running = postgres.running_pid() is not None
    postgres.start()
    yield postgres.url("postgres")
    if not was_running:
        postgres.stop()


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


SANDBOX_TOKEN = "test-token-not-a-secret"
AD_SOURCES = ("google_ads", "meta_ads", "linkedin_ads")


def extract_sources(sandbox_url: str, sources: tuple[str, ...] = ("hubspot", *AD_SOURCES)) -> None:
    """Load `sources` from a running sandbox into raw of the current WAREHOUSE_URL, without client-side waits
    (no rate budget on loopback, Meta insights synchronous)."""
    from warehouse import nightly

    with pytest.MonkeyPatch.context() as patch:
        for prefix in (source.upper() for source in sources):
            patch.setenv(f"{prefix}_BASE_URL", sandbox_url)
            patch.setenv(f"{prefix}_TOKEN", SANDBOX_TOKEN)
            patch.setenv(f"{prefix}_REQUESTS_PER_MINUTE", "100000")
        patch.setenv("GOOGLE_ADS_DEVELOPER_TOKEN", SANDBOX_TOKEN)
        patch.setenv("META_ADS_ASYNC_AFTER_DAYS", "400")
        for source in sources:
            nightly.extract(source)


@pytest.fixture(scope="module")
def pipeline_env(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for running the night's steps in-process: this module's database, its own dbt target."""
    target = tmp_path_factory.mktemp("dbt-target")
    values = {"WAREHOUSE_URL": warehouse_url, "DBT_TARGET_PATH": str(target), "HUBSPOT_TOKEN": SANDBOX_TOKEN}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in values.items():
            patch.setenv(key, value)
        yield values


def published_counts(url: str, schema: str = "marts") -> dict[tuple[object, object], int]:
    """weekly_contacts_by_stage as {(week_start, canonical_stage): contact_count}."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            f"select week_start, canonical_stage, contact_count from {schema}.weekly_contacts_by_stage"
        ).fetchall()
    return {(week, stage): count for week, stage, count in rows}
