"""The steps of a night, as plain functions: the DAGs call them, and so can a shell or a test.

Heavy imports (dbt, Great Expectations) happen inside the functions, never when a DAG file is parsed.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

import psycopg

from warehouse import config
from warehouse.dbt import BUILD_SCHEMA, dbt_result_counts, run_dbt
from warehouse.publish import BUILD_PREFIX
from warehouse.publish import publish as swap_build_into_place

log = logging.getLogger(__name__)


def extract(source: str) -> list[dict[str, object]]:
    """Load every stream of `source` into raw; return one report per stream."""
    from extractors.runner import run_source

    return [report.as_dict() for report in run_source(source)]


def build_models(as_of: str | None = None) -> dict[str, int]:
    """`dbt build` into the build schemas (started afresh by `prepare_build`); count results by status.

    `as_of` (ISO 8601) is the instant the numbers are as of: the DAG passes its data interval's end, so a
    backfilled night counts what that night could see. Without it the numbers are as of now.
    """
    as_of = as_of or datetime.datetime.now(datetime.UTC).isoformat()
    plan = prepare_build(as_of)
    run_dbt("build", target_schema=BUILD_SCHEMA, as_of=as_of, env=plan.dbt_env())
    return dbt_result_counts()


@dataclass(frozen=True)
class BuildPlan:
    """What `prepare_build` found the night needs to build: the tables it carried (moved from the previous
    generation or copied from the published one) are not rebuilt in full, and the unit tests run only when the
    code changed since the published build."""

    carried: list[str]
    moved: list[str]
    unit_tests: bool

    @property
    def excluded_resource_types(self) -> str:
        """The value of DBT_EXCLUDE_RESOURCE_TYPES for the night's `dbt build`."""
        return "" if self.unit_tests else "unit_test"

    def dbt_env(self) -> dict[str, str]:
        return {"DBT_EXCLUDE_RESOURCE_TYPES": self.excluded_resource_types}


def prepare_build(as_of: str) -> BuildPlan:
    """Start the night's build schemas afresh, carrying over the incremental tables that are still valid as of
    `as_of` (warehouse/incremental.py; none with SMARKETING_INCREMENTAL=off), and decide whether the night runs
    the unit tests."""
    from warehouse import incremental

    drop_build_schemas()
    carry = config.choice("SMARKETING_INCREMENTAL", "on", config.INCREMENTAL_MODES) == "on"
    night = datetime.datetime.fromisoformat(as_of)
    url = config.warehouse().url
    carried = incremental.carry_into_build(url, night, BUILD_PREFIX, incremental.incremental_models(), carry=carry)
    with psycopg.connect(url, autocommit=True) as conn:
        unit_tests = incremental.record_project(
            conn, night, BUILD_PREFIX, incremental.project_fingerprint(), carry=carry
        )
    log.info("incremental tables moved from the previous generation: %s", ", ".join(carried.moved) or "none")
    log.info("incremental tables copied from the published schemas: %s", ", ".join(carried.copied) or "none")
    return BuildPlan(carried.tables, carried.moved, unit_tests)


def drop_build_schemas() -> None:
    """A failed night may leave build schemas behind; a build always starts from none."""
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
        schemas = conn.execute(
            "select nspname from pg_namespace where nspname like %s", (BUILD_PREFIX.replace("_", r"\_") + "%",)
        ).fetchall()
        for (schema,) in schemas:
            conn.execute(psycopg.sql.SQL("drop schema {} cascade").format(psycopg.sql.Identifier(schema)))


def validate_contracts(run_id: str) -> dict[str, int]:
    """Validate the build against every contract, record the results, and stop if a blocking one broke."""
    from expectations.runner import format_results, raise_for_blocking, record_results, validate

    settings = config.warehouse()
    results = validate(settings.sqlalchemy_url(), schema_prefix=BUILD_PREFIX, run_id=run_id)
    record_results(settings.url, run_id, results)  # and offending rows into audit.quarantine
    log.info("contract results:\n%s", format_results(results))
    try:  # the data docs are a report: failing to write them must not fail the night
        from expectations.docs import build_data_docs

        log.info("contract data docs: %s", build_data_docs(settings.url))
    except Exception:
        log.exception("could not build the contract data docs")
    raise_for_blocking(results)
    return {
        "passed": sum(result.success for result in results),
        "failed": sum(not result.success for result in results),
    }


def publish() -> list[str]:
    """Swap the validated build schemas into the published ones."""
    with psycopg.connect(config.warehouse().url, autocommit=True) as conn:
        return swap_build_into_place(conn)
