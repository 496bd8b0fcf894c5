"""What the DAG files share: the source registry, asset names, schedules and default task arguments.

Not a DAG folder (see `.airflowignore`). Parse-cheap on purpose: only the standard library and
`airflow.sdk` (no `requests`, `psycopg`, dbt or Great Expectations), so the DAG files that import it
parse in milliseconds. Every setting below is an environment variable read at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pendulum
from airflow.sdk import Asset

from warehouse import alerts, config

# --- schedules ----------------------------------------------------------------------------------------------
# The ingestion DAGs run on this cron in this time zone; each run's data interval is the day up to the run
# (a `CronTriggerTimetable` with a one-day interval), and its end is the night's cut-off: `as_of`.
TIMEZONE = config.timezone_name()
INGEST_CRON = config.cron()
START_DATE = pendulum.datetime(2026, 1, 1, tz=TIMEZONE)
# The marts must be published within this long after the warehouse run is queued (DeadlineAlert) ...
BUILD_DEADLINE = timedelta(minutes=config.integer("SMARKETING_BUILD_DEADLINE_MINUTES", 120))

# ... and by this local time every morning (the `check_marts_published` DAG), HH:MM in TIMEZONE.
PUBLISH_BY = config.local_time("SMARKETING_PUBLISH_BY", "07:00")


# --- sources, streams and their raw tables -----------------------------------------------------------------
@dataclass(frozen=True)
class StreamSpec:
    """A stream as the DAGs see it: its name and the stream whose raw ids it reads (associations)."""

    name: str
    parent: str | None = None


# Mirrors `extractors.runner.SOURCES` and each source's `streams.STREAMS` (names and parents only), because
# importing the extractors pulls in `requests` and `psycopg`. tests/dags checks that the two agree.
SOURCE_STREAMS: dict[str, tuple[StreamSpec, ...]] = {
    "hubspot": (
        *(StreamSpec(name) for name in ("contacts", "companies", "deals", "calls", "emails", "meetings")),
        StreamSpec("owners"),
        StreamSpec("deal_pipelines"),
        StreamSpec("contacts_to_companies", parent="contacts"),
        StreamSpec("contacts_to_deals", parent="contacts"),
        StreamSpec("deals_to_contacts", parent="deals"),
        StreamSpec("calls_to_contacts", parent="calls"),
        StreamSpec("emails_to_contacts", parent="emails"),
        StreamSpec("meetings_to_contacts", parent="meetings"),
    ),
    "google_ads": (StreamSpec("accounts"), StreamSpec("campaign_daily"), StreamSpec("ad_group_daily")),
    "meta_ads": (StreamSpec("accounts"), StreamSpec("campaign_daily"), StreamSpec("adset_daily")),
    "linkedin_ads": (StreamSpec("accounts"), StreamSpec("campaigns"), StreamSpec("campaign_daily")),
}

# Each source's Airflow connection (mapped onto the extractor's environment variables inside the task) and
# its pool: one pool per API credential, so parallel stream tasks never exceed the source's rate budget.
CONNECTION_IDS = {source: f"{source}_default" for source in SOURCE_STREAMS}
WAREHOUSE_CONNECTION_ID = "warehouse_default"
POOLS = {source: f"{source}_api" for source in SOURCE_STREAMS}


def raw_asset(source: str, stream: str) -> Asset:
    """The Asset of a stream's raw table, named after the table (`raw.hubspot__contacts`)."""
    return Asset(name=f"raw.{source}__{stream}", uri=f"smarketing://warehouse/raw/{source}__{stream}")


RAW_ASSETS: dict[str, tuple[Asset, ...]] = {
    source: tuple(raw_asset(source, stream.name) for stream in streams) for source, streams in SOURCE_STREAMS.items()
}
RAW_HUBSPOT_CONTACTS = raw_asset("hubspot", "contacts")
PUBLISHED_MARTS = Asset(name="marts", uri="smarketing://warehouse/marts")

# --- default task arguments --------------------------------------------------------------------------------
DEFAULT_ARGS = {
    "owner": "data-engineering",
    # `make demo` and the tests set SMARKETING_TASK_RETRIES=0: a failure there should show at once.
    "retries": config.integer("SMARKETING_TASK_RETRIES", 2),
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,  # a multiplier in Airflow 3.3, not a bool: 2, 4, 8 ... minutes
    "max_retry_delay": timedelta(minutes=30),
    # Posts a Slack-compatible message to SMARKETING_ALERT_WEBHOOK (log only when unset).
    "on_failure_callback": alerts.on_task_failure,
}
