"""Every setting the pipeline reads, in one place.

Settings come from environment variables (Airflow connections map onto the same names in the DAGs).
Secrets are wrapped in `Secret` so that they never show up in a repr, a log line or an exception.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
LOCAL_DIR = REPO_ROOT / ".local"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# Real API base URLs; `<SOURCE>_BASE_URL` points a source at the sandbox or any compatible server.
DEFAULT_BASE_URLS = {
    "hubspot": "https://api.hubapi.com",
    # The ad APIs' version segments (`/v21/`, `/v21.0/`, `LinkedIn-Version`) are separate settings:
    # GOOGLE_ADS_API_VERSION, META_ADS_API_VERSION, LINKEDIN_ADS_API_VERSION (see extractors/<source>/README.md).
    "google_ads": "https://googleads.googleapis.com",
    "meta_ads": "https://graph.facebook.com",
    "linkedin_ads": "https://api.linkedin.com",
}


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


class Secret(str):
    """A string that never reveals itself in repr() (so not in tracebacks, logs or f-string debug)."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True)
class SourceSettings:
    name: str
    base_url: str
    token: Secret


@dataclass(frozen=True)
class WarehouseSettings:
    url: str = field(repr=False)  # carries the password
    host: str
    port: int
    user: str
    password: Secret
    database: str

    def sqlalchemy_url(self) -> str:
        """The same connection for SQLAlchemy users (Great Expectations) through psycopg 3."""
        return "postgresql+psycopg://" + self.url.split("://", 1)[1]


def warehouse() -> WarehouseSettings:
    """The warehouse connection from `WAREHOUSE_URL` (postgresql://user:password@host:port/database)."""
    url = os.environ.get("WAREHOUSE_URL", "").strip()
    if not url:
        raise ConfigError(
            "WAREHOUSE_URL is not set: run through `make demo`/`make test` (which start the embedded Postgres) "
            "or export WAREHOUSE_URL=postgresql://user:password@host:5432/database"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
        raise ConfigError(
            f"WAREHOUSE_URL must look like postgresql://user:password@host:5432/database, "
            f"got scheme={parts.scheme!r} host={parts.hostname!r} database={parts.path.strip('/')!r}"
        )
    return WarehouseSettings(
        url=url,
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=Secret(parts.password or ""),
        database=parts.path.strip("/"),
    )


def option(name: str, default: str) -> str:
    """An optional plain (non-secret) setting such as GOOGLE_ADS_API_VERSION; unset or blank gives `default`."""
    return os.environ.get(name, "").strip() or default


def secret(name: str, hint: str) -> Secret:
    """A credential besides `<SOURCE>_TOKEN` (e.g. GOOGLE_ADS_DEVELOPER_TOKEN); a ConfigError naming it if unset."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: {hint}")
    return Secret(value)


def source(name: str) -> SourceSettings:
    """Base URL and token of an API source from `<NAME>_BASE_URL` and `<NAME>_TOKEN`."""
    if name not in DEFAULT_BASE_URLS:
        raise ConfigError(f"unknown source {name!r}: known sources are {', '.join(sorted(DEFAULT_BASE_URLS))}")
    prefix = name.upper()
    base_url = os.environ.get(f"{prefix}_BASE_URL", DEFAULT_BASE_URLS[name]).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{prefix}_BASE_URL must be an http(s) URL such as {DEFAULT_BASE_URLS[name]}, got {base_url!r}"
        )
    token = os.environ.get(f"{prefix}_TOKEN", "").strip()
    if not token:
        raise ConfigError(f"{prefix}_TOKEN is not set: export the {name} API token (a private app token for HubSpot)")
    return SourceSettings(name=name, base_url=base_url, token=Secret(token))
