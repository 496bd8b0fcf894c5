"""The ingestion DAG of one source, built from the registry in `_shared`: one task per stream.

Each `dags/ingest_<source>.py` calls `ingest_dag(...)`; what the tasks do lives in
`warehouse.orchestration.ingest_stream` (connections -> settings, the incremental window, the load).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, CronTriggerTimetable, task

from _shared import DEFAULT_ARGS, INGEST_CRON, POOLS, SOURCE_STREAMS, START_DATE, TIMEZONE, raw_asset


def ingest_dag(source: str, doc_md: str, fileloc: str) -> DAG:
    with DAG(
        dag_id=f"ingest_{source}",
        # A run at the cron time stands for the day before it: data interval [run - 1 day, run).
        schedule=CronTriggerTimetable(INGEST_CRON, timezone=TIMEZONE, interval=timedelta(days=1)),
        start_date=START_DATE,
        catchup=False,  # missed nights: `airflow backfill create` (see the README), never an automatic flood
        max_active_runs=1,  # stream cursors are per source: one night at a time
        default_args=DEFAULT_ARGS,
        tags=["smarketing", "ingestion", source],
        doc_md=doc_md,
    ) as dag:
        tasks = {}
        for stream in SOURCE_STREAMS[source]:
            asset = raw_asset(source, stream.name)

            @task(task_id=stream.name, pool=POOLS[source], outlets=[asset], retry_exponential_backoff=2.0)
            def load(stream_name: str, asset_name: str, **context: object) -> dict[str, object]:
                from warehouse import orchestration

                return orchestration.ingest_stream(source, stream_name, asset_name, context)

            tasks[stream.name] = load(stream.name, asset.name)
        for stream in SOURCE_STREAMS[source]:
            if stream.parent is not None:
                tasks[stream.parent] >> tasks[stream.name]  # associations read the parent's active ids
    dag.fileloc = fileloc
    return dag
