"""
### build_warehouse

The warehouse night, once every ingestion DAG's raw tables have landed (scheduled on all their Assets):

1. **resolve_as_of**: the instant the numbers are as of: the earliest `as_of` the triggering ingestion runs
   reported (their data interval end), or this run's own data interval end for a manual run or a backfill.
2. **prepare_build**: drops leftover `build_*` schemas and the previous run results, then copies the
   published incremental tables (HubSpot staging and the large facts) into the new build schemas when their
   code is unchanged, so dbt only rebuilds what changed since; the unit tests run only when the project's code
   changed since the published build (`warehouse/incremental.py`).
3. **dbt** (astronomer-cosmos `DbtTaskGroup`, loaded from `dbt_project/target/manifest.json`): seeds, models
   and each model's tests into the build schemas `build_*`, with the night's `as_of` in `SMARKETING_AS_OF`
   (and `DBT_EXCLUDE_RESOURCE_TYPES=unit_test` when the unit tests are not due).
   Execution mode `SMARKETING_DBT_EXECUTION_MODE` (`watcher` by default: one `dbt build` process, one task per
   model following it; `local`: one dbt process per model, ~3.4 s of start-up each).
4. **validate_contracts**: the Great Expectations contracts; a broken blocking contract stops the night and
   yesterday's marts stay published (a source that failed to land leaves this DAG unscheduled; a stale
   one shows in the freshness tests and the contracts).
5. **publish**: `build_*` swapped into the published schemas in one transaction; updates the `marts` Asset
   and records the publication in `audit.publications`.
6. **run_summary**: raw loads, dbt results, contracts and published tables, in the task log.

A DeadlineAlert posts to `SMARKETING_ALERT_WEBHOOK` when a run has not finished
`SMARKETING_BUILD_DEADLINE_MINUTES` (default 120) after it was queued; `check_marts_published` covers the
nights when this DAG never starts.
"""

from __future__ import annotations

from _shared import BUILD_DEADLINE, DEFAULT_ARGS, PUBLISHED_MARTS, RAW_ASSETS, START_DATE
from _shared.dbt import dbt_task_group
from airflow.sdk import AssetAll, AsyncCallback, DeadlineAlert, DeadlineReference, dag, task

from warehouse import alerts


@dag(
    dag_id="build_warehouse",
    schedule=AssetAll(*(asset for assets in RAW_ASSETS.values() for asset in assets)),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # one build schema set: nights build one after the other
    default_args=DEFAULT_ARGS,
    tags=["smarketing", "warehouse", "dbt", "contracts"],
    doc_md=__doc__,
    # Off when SMARKETING_BUILD_DEADLINE_MINUTES=0: `airflow dags test` in Airflow 3.3.2 cannot finish a run of a
    # DAG with a DeadlineAlert (it looks the alert up by its serialized dict; warehouse.airflow_cli sets 0).
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=BUILD_DEADLINE,
        callback=AsyncCallback(alerts.on_deadline_missed, kwargs={"what": "build_warehouse has not published"}),
    )
    if BUILD_DEADLINE
    else None,
)
def build_warehouse() -> None:
    @task
    def resolve_as_of(**context: object) -> str:
        from warehouse import orchestration

        return orchestration.resolve_as_of(context)

    @task(retries=0)
    def prepare_build(as_of: str) -> dict[str, object]:
        from warehouse import orchestration

        return orchestration.prepare_build(as_of)

    @task(retries=0)
    def validate_contracts(run_id: str | None = None) -> dict[str, int]:
        from warehouse import orchestration

        return orchestration.validate_contracts(run_id or "manual")

    @task(retries=0, outlets=[PUBLISHED_MARTS])
    def publish(as_of: str, run_id: str | None = None) -> list[str]:
        from warehouse import orchestration

        return orchestration.publish(run_id or "manual", as_of)

    @task
    def run_summary() -> str:
        from warehouse import orchestration

        return orchestration.run_summary()

    as_of = resolve_as_of()
    dbt = dbt_task_group(
        "dbt",
        as_of_template="{{ ti.xcom_pull(task_ids='resolve_as_of') }}",
        excluded_resource_types_template="{{ ti.xcom_pull(task_ids='prepare_build')['exclude_resource_types'] }}",
    )
    published = publish(as_of)
    prepare_build(as_of) >> dbt >> validate_contracts() >> published >> run_summary()


build_warehouse()
