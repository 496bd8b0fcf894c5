"""
### smarketing_nightly

The walking skeleton's whole night, in order:

1. **extract_hubspot**: HubSpot contacts (active and archived) into `raw.hubspot__contacts`.
2. **build_models**: `dbt build` (seeds, models, tests) into the build schemas `build_*`, with the numbers
   as of the run's data interval end (a backfilled night sees what that night saw).
3. **validate_contracts**: the Great Expectations contracts in `expectations/contracts/` check the build;
   a failed blocking contract stops the night here and yesterday's marts stay published.
4. **publish**: the build schemas replace the published ones in one transaction.

The task bodies live in `warehouse.nightly`; this file only wires them (no work at import time).
"""

from __future__ import annotations

import pendulum
from _shared import DEFAULT_ARGS, PUBLISHED_MARTS, RAW_HUBSPOT_CONTACTS
from airflow.sdk import dag, task


@dag(
    dag_id="smarketing_nightly",
    schedule="@daily",  # a run at midnight UTC stands for everything up to that instant
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["smarketing", "hubspot", "dbt", "contracts"],
    doc_md=__doc__,
)
def smarketing_nightly() -> None:
    @task(outlets=[RAW_HUBSPOT_CONTACTS])
    def extract_hubspot() -> list[dict[str, object]]:
        from warehouse import nightly

        return nightly.extract("hubspot")

    @task(retries=0)
    def build_models(data_interval_end: pendulum.DateTime | None = None) -> dict[str, int]:
        from warehouse import nightly

        return nightly.build_models(as_of=data_interval_end.isoformat() if data_interval_end else None)

    @task(retries=0)
    def validate_contracts(run_id: str | None = None) -> dict[str, int]:
        from warehouse import nightly

        return nightly.validate_contracts(run_id or "manual")

    @task(retries=0, outlets=[PUBLISHED_MARTS])
    def publish() -> list[str]:
        from warehouse import nightly

        return nightly.publish()

    extract_hubspot() >> build_models() >> validate_contracts() >> publish()


smarketing_nightly()
