"""
### check_marts_published

The morning check: every day at `SMARKETING_PUBLISH_BY` (default `07:00`) in `SMARKETING_TIMEZONE`, are the
marts BI reads this morning as of last midnight?

`build_warehouse` carries a DeadlineAlert, but it is scheduled on the ingestion Assets: on a night when a
source fails to land it never starts, so its own deadline never fires. This DAG runs on a plain cron and
looks at `audit.publications` (written by `build_warehouse.publish`): when no publication is as of the
run's day (its data interval end's local midnight) it fails, and the failure callback posts to
`SMARKETING_ALERT_WEBHOOK` naming the last publication. It reads the warehouse and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from _shared import DEFAULT_ARGS, PUBLISH_BY, START_DATE, TIMEZONE
from airflow.sdk import CronTriggerTimetable, dag, task

_HOUR, _MINUTE = PUBLISH_BY


@dag(
    dag_id="check_marts_published",
    # A run at PUBLISH_BY stands for the morning it checks: data interval [that day's midnight, PUBLISH_BY).
    schedule=CronTriggerTimetable(
        f"{_MINUTE} {_HOUR} * * *", timezone=TIMEZONE, interval=timedelta(hours=_HOUR, minutes=_MINUTE)
    ),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,  # a retry re-checks later: a night still running may have published by then
    tags=["smarketing", "warehouse", "alerts"],
    doc_md=__doc__,
)
def check_marts_published() -> None:
    @task
    def marts_are_as_of_this_morning(**context: object) -> str:
        from warehouse import orchestration

        return orchestration.check_published_for_morning(context).isoformat()

    marts_are_as_of_this_morning()


check_marts_published()
