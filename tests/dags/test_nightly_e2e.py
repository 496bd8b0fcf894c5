"""The nightly DAG end to end under `airflow dags test`: sandbox -> raw -> dbt -> contracts -> published mart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from sandbox.launcher import running_sandbox
from sandbox.story import DEFAULT_NOW
from sandbox.truth import contacts_by_week_and_stage
from tests.conftest import SANDBOX_TOKEN, published_counts
from warehouse import services
from warehouse.airflow_cli import NightFailedError, run_night

SEED, SCALE = 5, 350
LOGICAL_DATE = "2026-03-30"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def airflow_env(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    with running_sandbox(["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE)]) as sandbox:
        env = services.airflow_env(
            warehouse_url,
            services.Sandbox(base_url=sandbox.url, token=SANDBOX_TOKEN, pid=sandbox.process.pid),
            tmp_path_factory.mktemp("airflow"),
        )
        env["SMARKETING_TASK_RETRIES"] = "0"
        env["DBT_TARGET_PATH"] = str(tmp_path_factory.mktemp("dbt-target"))
        yield env


def test_a_night_under_airflow_publishes_the_sandbox_truth(airflow_env: dict[str, str], tmp_path: Path) -> None:
    run_night(airflow_env, LOGICAL_DATE, tmp_path / "night.log")

    assert published_counts(airflow_env["WAREHOUSE_URL"]) == contacts_by_week_and_stage(SEED, SCALE, DEFAULT_NOW)


def test_a_second_night_publishes_identical_numbers_without_visible_duplicates(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    first = published_counts(airflow_env["WAREHOUSE_URL"])
    run_night(airflow_env, LOGICAL_DATE, tmp_path / "night.log")

    assert published_counts(airflow_env["WAREHOUSE_URL"]) == first
    with psycopg.connect(airflow_env["WAREHOUSE_URL"]) as conn:
        batches = conn.execute(
            "select count(*) from raw._batches where stream = 'contacts' and status = 'succeeded'"
        ).fetchone()[0]
        contract_runs = conn.execute("select count(distinct run_id) from audit.contract_results").fetchone()[0]
    assert batches == 2
    assert contract_runs == 2


def test_a_failing_night_is_reported_as_failed(airflow_env: dict[str, str], tmp_path: Path) -> None:
    broken = {**airflow_env, "HUBSPOT_TOKEN": "wrong-token"}
    with pytest.raises(NightFailedError, match="HUBSPOT_TOKEN"):
        run_night(broken, LOGICAL_DATE, tmp_path / "night.log")
    assert "wrong-token" not in (tmp_path / "night.log").read_text()
