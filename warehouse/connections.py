"""Airflow connections -> the environment variables `warehouse.config` reads: the one place they meet.

The extractors, dbt and the contracts read settings from the environment (so a shell or a test runs them
without Airflow). Inside a task, `apply(...)` looks the Airflow connections up (`AIRFLOW_CONN_<ID>`
environment variables, the metadata database, or a secrets backend) and sets those variables for this
task process only. A connection that does not exist leaves the environment as it is.

| connection | fields used | environment |
| --- | --- | --- |
| `<source>_default` | `host` (base URL), `password` (token), extras | `<SOURCE>_BASE_URL`, `<SOURCE>_TOKEN` |
| `warehouse_default` (postgres) | `host`, `port`, `login`, `password`, `schema` (the database) | `WAREHOUSE_URL` |
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

log = logging.getLogger(__name__)

WAREHOUSE_CONNECTION_ID = "warehouse_default"


def connection_id(source: str) -> str:
    return f"{source}_default"


def _lookup(conn_id: str) -> Any | None:
    from airflow.sdk import Connection
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return Connection.get(conn_id)
    except AirflowNotFoundException:
        log.info("no Airflow connection %s: using the environment's settings", conn_id)
        return None


def source_env(conn: Any, source: str) -> dict[str, str]:
    """`<SOURCE>_BASE_URL` and `<SOURCE>_TOKEN` from a connection."""
    prefix = source.upper()
    env = {}
    host = (conn.host or "").strip()
    if host:
        if "://" in host:
            base_url = host
        else:
            scheme = conn.schema if conn.schema in ("http", "https") else "https"
            base_url = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
        env[f"{prefix}_BASE_URL"] = base_url.rstrip("/")
    if conn.password:
        env[f"{prefix}_TOKEN"] = conn.password
    # Extras name the source's other settings: {"developer_token": ...} -> GOOGLE_ADS_DEVELOPER_TOKEN.
    for key, value in (conn.extra_dejson or {}).items():
        if isinstance(value, str | int) and key.replace("_", "").isalnum():
            env[f"{prefix}_{key.upper()}"] = str(value)
    return env


def warehouse_url(conn: Any) -> str:
    """postgresql://login:password@host:port/database from a postgres connection (database in `schema`)."""
    credentials = quote(conn.login or "postgres", safe="")
    if conn.password:
        credentials += ":" + quote(conn.password, safe="")
    return f"postgresql://{credentials}@{conn.host}:{conn.port or 5432}/{conn.schema}"


def apply(*sources: str, warehouse: bool = True) -> None:
    """Set this process's environment from the connections of `sources` and of the warehouse."""
    for source in sources:
        conn = _lookup(connection_id(source))
        if conn is not None:
            os.environ.update(source_env(conn, source))
    if warehouse:
        conn = _lookup(WAREHOUSE_CONNECTION_ID)
        if conn is not None:
            os.environ["WAREHOUSE_URL"] = warehouse_url(conn)


def apply_for_dbt(context: Any = None) -> None:
    """`pre_execute` of the Cosmos dbt tasks: the warehouse connection -> the profile's SMARKETING_PG_* vars."""
    apply(warehouse=True)
    from warehouse.dbt import BUILD_SCHEMA, dbt_env

    os.environ.update({key: value for key, value in dbt_env(BUILD_SCHEMA).items() if key.startswith("SMARKETING_")})


def airflow_conn_env(warehouse: str, sources: dict[str, tuple[str, str]]) -> dict[str, str]:
    """`AIRFLOW_CONN_*` variables (JSON form) for a warehouse URL and {source: (base_url, token)}."""
    import json
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(warehouse)
    env = {
        "AIRFLOW_CONN_WAREHOUSE_DEFAULT": json.dumps(
            {
                "conn_type": "postgres",
                "host": parts.hostname,
                "port": parts.port or 5432,
                "login": unquote(parts.username or "postgres"),
                "password": unquote(parts.password or ""),
                "schema": parts.path.strip("/"),
            }
        )
    }
    for source, (base_url, token) in sources.items():
        conn = {"conn_type": "http", "host": base_url, "password": token}
        if source == "google_ads":  # Google Ads wants a developer token besides the OAuth token
            conn["extra"] = json.dumps({"developer_token": token})
        env[f"AIRFLOW_CONN_{connection_id(source).upper()}"] = json.dumps(conn)
    return env
