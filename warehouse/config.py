"""Every setting the pipeline reads, in one place.

Settings come from environment variables (Airflow connections map onto the same names in the DAGs).
Secrets are wrapped in `Secret` so that they never show up in a repr, a log line or an exception.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
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

# What `<SOURCE>_TOKEN` holds, for the message when it is missing.
TOKEN_HINTS = {
    "hubspot": "a HubSpot private app token with crm.objects.contacts.read",
    "google_ads": "an OAuth access token for the Google Ads API",
    "meta_ads": "a Meta Marketing API access token",
    "linkedin_ads": "a LinkedIn Marketing API access token",
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
    # Unset or blank means the real API (a compose file passes `${HUBSPOT_BASE_URL:-}` through as "").
    base_url = option(f"{prefix}_BASE_URL", DEFAULT_BASE_URLS[name]).rstrip("/")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"{prefix}_BASE_URL must be an http(s) URL such as {DEFAULT_BASE_URLS[name]}, got {base_url!r}"
        )
    token = os.environ.get(f"{prefix}_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            f"{prefix}_TOKEN is not set: export {TOKEN_HINTS[name]} (inside Airflow: AIRFLOW_CONN_{prefix}_DEFAULT)"
        )
    return SourceSettings(name=name, base_url=base_url, token=Secret(token))


# --- checking the settings of a run before it does any work ---------------------------------------------------

# SMARKETING_DBT_EXECUTION_MODE: Cosmos' execution modes this project supports (dags/_shared/dbt.py).
DBT_EXECUTION_MODES = ("watcher", "local")
# SMARKETING_INCREMENTAL: `off` makes every night build the incremental tables in full and run the unit tests.
INCREMENTAL_MODES = ("on", "off")
POOL_SLOTS_PREFIX = "SMARKETING_POOL_SLOTS_"


def integer(name: str, default: int, minimum: int = 0) -> int:
    """A whole-number setting such as SMARKETING_TASK_RETRIES; a ConfigError naming it when malformed."""
    text = option(name, str(default))
    try:
        value = int(text)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(f"{name} must be a whole number of at least {minimum} (default {default}), got {text!r}")
    return value


def timezone_name(name: str = "SMARKETING_TIMEZONE", default: str = "UTC") -> str:
    """An IANA time zone name such as Europe/Berlin."""
    import zoneinfo

    value = option(name, default)
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be an IANA time zone such as UTC or Europe/Berlin, got {value!r}") from None
    return value


def cron(name: str = "SMARKETING_INGEST_CRON", default: str = "0 0 * * *") -> str:
    """A cron expression (five fields, or a preset such as @daily)."""
    from croniter import croniter  # an Airflow dependency; imported here to keep this module light

    value = option(name, default)
    if not croniter.is_valid(value):
        raise ConfigError(f"{name} must be a cron expression such as {default!r} (minute hour day month weekday)")
    return value


def local_time(name: str, default: str) -> tuple[int, int]:
    """A local time of day HH:MM such as SMARKETING_PUBLISH_BY=07:00."""
    value = option(name, default)
    hour, _, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ConfigError(f"{name} must be a local time HH:MM such as {default}, got {value!r}")
    return int(hour), int(minute)


def choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    """One of a few words, case-insensitive, such as SMARKETING_DBT_EXECUTION_MODE."""
    value = option(name, default).lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def optional_http_url(name: str) -> str | None:
    """An optional http(s) URL such as SMARKETING_ALERT_WEBHOOK; the value is never echoed (webhooks are secrets)."""
    value = option(name, "")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL such as https://hooks.slack.com/services/..., or unset")
    return value


def pool_slots() -> dict[str, int]:
    """{source: slots} from every SMARKETING_POOL_SLOTS_<SOURCE>; a variable naming no known source is an error."""
    slots = {}
    for variable in sorted(os.environ):
        if not variable.startswith(POOL_SLOTS_PREFIX):
            continue
        name = variable.removeprefix(POOL_SLOTS_PREFIX).lower()
        if name not in DEFAULT_BASE_URLS:
            raise ConfigError(
                f"{variable} names an unknown source {name!r}: known sources are {', '.join(sorted(DEFAULT_BASE_URLS))}"
            )
        slots[name] = integer(variable, 1, minimum=1)
    return slots


# Each source's credentials besides `<SOURCE>_TOKEN`, checked before a run (the extractor reads them again).
EXTRA_SECRETS = {
    "google_ads": (
        ("GOOGLE_ADS_DEVELOPER_TOKEN", "export the developer token of your Google Ads API access (API Center)"),
    ),
}


def check(sources: Iterable[str] = (), *, require_warehouse: bool = True) -> None:
    """Every setting a run reads, before it does any work: one ConfigError listing each problem, or nothing.

    Each message names the setting and how to fix it, never a secret's value. `sources` are the API sources the
    run extracts (their token and base URL are required); the rest are the optional settings of the DAGs.
    """
    checks: list[Callable[[], object]] = [warehouse] if require_warehouse else []
    for name in sources:
        checks.append(partial(source, name))
        checks += [partial(secret, variable, hint) for variable, hint in EXTRA_SECRETS.get(name, ())]
    checks += [
        timezone_name,
        cron,
        partial(local_time, "SMARKETING_PUBLISH_BY", "07:00"),
        partial(integer, "SMARKETING_TASK_RETRIES", 2),
        partial(integer, "SMARKETING_BUILD_DEADLINE_MINUTES", 120),
        partial(choice, "SMARKETING_DBT_EXECUTION_MODE", "watcher", DBT_EXECUTION_MODES),
        partial(choice, "SMARKETING_INCREMENTAL", "on", INCREMENTAL_MODES),
        partial(optional_http_url, "SMARKETING_ALERT_WEBHOOK"),
        pool_slots,
    ]
    problems = []
    for run_check in checks:
        try:
            run_check()
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("\n".join(problems))


def main(argv: list[str] | None = None) -> int:
    """`python -m warehouse.config [SOURCE ...]`: check the settings, exit 2 with every problem named."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m warehouse.config", description=main.__doc__)
    parser.add_argument("sources", nargs="*", help=f"sources the run extracts: {', '.join(DEFAULT_BASE_URLS)}")
    parser.add_argument("--no-warehouse", action="store_true", help="do not require WAREHOUSE_URL")
    args = parser.parse_args(argv)
    try:
        check(args.sources, require_warehouse=not args.no_warehouse)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return 2
    print("settings ok" + (f" for {', '.join(args.sources)}" if args.sources else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
