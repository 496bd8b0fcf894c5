"""What the DAG files share: asset names and default task arguments. Not a DAG folder (see .airflowignore)."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.sdk import Asset

# One Asset per raw table, named after the table: the warehouse DAG schedules on these names.
RAW_HUBSPOT_CONTACTS = Asset(name="raw.hubspot__contacts", uri="smarketing://warehouse/raw/hubspot__contacts")
PUBLISHED_MARTS = Asset(name="marts", uri="smarketing://warehouse/marts")

DEFAULT_ARGS = {
    "owner": "data-engineering",
    # `make demo` and the tests set SMARKETING_TASK_RETRIES=0: a failure there should show at once.
    "retries": int(os.environ.get("SMARKETING_TASK_RETRIES", "2")),
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": 2.0,  # a multiplier in Airflow 3.3, not a bool
    "max_retry_delay": timedelta(minutes=30),
}
