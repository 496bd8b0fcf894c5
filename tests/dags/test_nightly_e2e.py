"""Two nights under `dag.test()` (every ingestion DAG, then build_warehouse), each against the sandbox as
it stood that night, with the published marts checked against the story's ground truth; then a rerun of the
first night publishes the same marts as the first time. The second night is an incremental one (the HubSpot
staging tables of the first are carried over); the rerun of the first, a backfill, builds in full."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from sandbox.ads.story import LINKEDIN, AdStory, accounts
from sandbox.ads.truth import spend_by_week_and_channel
from sandbox.launcher import running_sandbox
from sandbox.truth import contacts_by_week_and_stage, funnel_by_week_and_channel
from tests.conftest import SANDBOX_TOKEN, published_counts
from warehouse import services
from warehouse.airflow_cli import NightFailedError, run_dags, setup

SEED, SCALE = 5, 350
FIRST_NIGHT, SECOND_NIGHT = "2026-03-23", "2026-03-30"
INGESTION_DAGS = ("ingest_hubspot", "ingest_google_ads", "ingest_meta_ads", "ingest_linkedin_ads")

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def airflow_base_env(warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = services.airflow_env(warehouse_url, None, tmp_path_factory.mktemp("airflow"))
    env["SMARKETING_TASK_RETRIES"] = "0"
    env["DBT_TARGET_PATH"] = str(tmp_path_factory.mktemp("dbt-target"))
    with open(tmp_path_factory.mktemp("setup") / "setup.log", "w") as log:
        setup(env, log)  # metadata, pools and the dbt manifest, once for the module
    return env


NIGHT_LOGS: list[Path] = []  # every night's log, for the secrets test at the end


def night(base_env: dict[str, str], logical_date: str, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
    """The sandbox as it stood at midnight of `logical_date`, then the night's DAGs for that date."""
    NIGHT_LOGS.append(log_path)
    now = f"{logical_date}T00:00:00Z"
    args = ["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE), "--now", now]
    with running_sandbox(args) as sandbox:
        env = {
            **base_env,
            **services.airflow_env(base_env["WAREHOUSE_URL"], _sandbox(sandbox), Path(base_env["AIRFLOW_HOME"])),
        }
        env.update({key: base_env[key] for key in ("SMARKETING_TASK_RETRIES", "DBT_TARGET_PATH")})
        env.update(extra_env or {})
        run_dags(env, [*INGESTION_DAGS, "build_warehouse"], logical_date, log_path)


def _sandbox(sandbox: object) -> services.Sandbox:
    return services.Sandbox(base_url=sandbox.url, token=SANDBOX_TOKEN, pid=sandbox.process.pid)  # type: ignore[attr-defined]


def weekly_review(url: str) -> dict[tuple[object, object], tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """
            select week_start, channel, leads, mqls, re_mqls, sqls, opportunities, customers, sla_breaches,
                   won_revenue
            from marts.weekly_review
            """
        ).fetchall()
    return {(week, channel): tuple(values) for week, channel, *values in rows}


def funnel_truth(as_of: str) -> dict[tuple[object, object], tuple[object, ...]]:
    return {
        key: (c.leads, c.first_mqls, c.re_mqls, c.sqls, c.opportunities, c.customers, c.sla_breaches, c.won_revenue)
        for key, c in funnel_by_week_and_channel(SEED, SCALE, f"{as_of}T00:00:00Z").items()
    }


@pytest.fixture(scope="module")
def first_night(airflow_base_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    night(airflow_base_env, FIRST_NIGHT, tmp_path_factory.mktemp("night1") / "night.log")
    url = airflow_base_env["WAREHOUSE_URL"]
    return {"contacts": published_counts(url), "funnel": weekly_review(url), "dbt": dbt_results(airflow_base_env)}


def dbt_results(base_env: dict[str, str]) -> dict[str, int]:
    """The night's dbt results by resource type (run_results.json, merged by the Cosmos callback)."""
    results = json.loads((Path(base_env["DBT_TARGET_PATH"]) / "run_results.json").read_text())["results"]
    return dict(Counter(result["unique_id"].split(".")[0] for result in results))


def test_the_first_night_publishes_the_truth_as_of_its_midnight(first_night: dict) -> None:
    assert first_night["contacts"] == contacts_by_week_and_stage(SEED, SCALE, f"{FIRST_NIGHT}T00:00:00Z")
    assert first_night["funnel"] == funnel_truth(FIRST_NIGHT)
    assert first_night["dbt"]["unit_test"] > 0  # nothing was published: the code's unit tests are due


def test_the_morning_check_passes_on_the_nights_morning_and_fails_the_morning_after(
    first_night: dict, airflow_base_env: dict[str, str], tmp_path: Path
) -> None:
    run_dags(airflow_base_env, ["check_marts_published"], f"{FIRST_NIGHT}T07:00:00+00:00", tmp_path / "check.log")
    with pytest.raises(NightFailedError, match="check_marts_published run ended failed"):
        run_dags(airflow_base_env, ["check_marts_published"], "2026-03-24T07:00:00+00:00", tmp_path / "late.log")
    assert "the marts BI reads are not as of 2026-03-24T00:00:00+00:00" in (tmp_path / "late.log").read_text()


def test_the_second_night_publishes_the_truth_as_of_its_midnight(
    first_night: dict, airflow_base_env: dict[str, str], tmp_path: Path
) -> None:
    night(airflow_base_env, SECOND_NIGHT, tmp_path / "night.log")
    second = dbt_results(airflow_base_env)
    assert "unit_test" not in second  # the same code passed them the night before
    assert {key: second[key] for key in ("model", "test")} == {
        key: first_night["dbt"][key] for key in ("model", "test")
    }

    url = airflow_base_env["WAREHOUSE_URL"]
    assert published_counts(url) == contacts_by_week_and_stage(SEED, SCALE, f"{SECOND_NIGHT}T00:00:00Z")
    assert weekly_review(url) == funnel_truth(SECOND_NIGHT)
    assert published_counts(url) != first_night["contacts"]  # a week of the story happened in between
    with psycopg.connect(url) as conn:
        spend = conn.execute("select week_start, channel, spend from marts.weekly_review where spend <> 0").fetchall()
        linkedin = conn.execute(
            "select campaign_id, campaign_name from marts.dim_campaign where platform = 'linkedin_ads'"
        ).fetchall()
    assert {(week, channel): amount for week, channel, amount in spend} == spend_by_week_and_channel(
        SEED, f"{SECOND_NIGHT}T00:00:00Z"
    )
    names = {
        group.id: group.name
        for acct in accounts(LINKEDIN)
        for c in AdStory(SEED).campaigns(acct)
        for group in c.ad_groups
    }
    assert linkedin and dict(linkedin) == {campaign_id: names[campaign_id] for campaign_id, _ in linkedin}


def test_rerunning_the_first_night_afterwards_publishes_that_nights_marts_again(
    first_night: dict, airflow_base_env: dict[str, str], tmp_path: Path
) -> None:
    night(airflow_base_env, FIRST_NIGHT, tmp_path / "night.log")

    url = airflow_base_env["WAREHOUSE_URL"]
    assert published_counts(url) == first_night["contacts"]
    assert weekly_review(url) == first_night["funnel"]
    with psycopg.connect(url) as conn:
        as_of = conn.execute("select as_of from audit.publications order by published_at desc limit 1").fetchone()[0]
    assert as_of.isoformat().startswith(FIRST_NIGHT)


def test_a_failing_night_is_reported_as_failed_without_the_token_in_the_log(
    airflow_base_env: dict[str, str], tmp_path: Path
) -> None:
    with pytest.raises(NightFailedError, match="HUBSPOT_TOKEN"):
        night(
            airflow_base_env,
            SECOND_NIGHT,
            tmp_path / "night.log",
            {"AIRFLOW_CONN_HUBSPOT_DEFAULT": '{"conn_type": "http", "password": "wrong-token"}'},
        )
    assert "wrong-token" not in (tmp_path / "night.log").read_text()


def test_no_token_reaches_a_log_a_file_of_airflow_or_a_warehouse_table(airflow_base_env: dict[str, str]) -> None:
    """After every night above (and the failing one): the sandbox token is in no log, no file Airflow or dbt
    wrote, and no row of any table in the warehouse."""
    roots = {Path(airflow_base_env["AIRFLOW_HOME"]), Path(airflow_base_env["DBT_TARGET_PATH"])}
    roots |= {log.parent for log in NIGHT_LOGS}
    files = [path for root in roots for path in root.rglob("*") if path.is_file()]
    assert any(path.name == "night.log" for path in files)
    leaking = [str(path) for path in files if SANDBOX_TOKEN.encode() in path.read_bytes()]
    assert leaking == []
    with psycopg.connect(airflow_base_env["WAREHOUSE_URL"]) as conn:
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')"
        ).fetchall()
        assert len(tables) > 20
        found = [
            f"{schema}.{table}"
            for schema, table in tables
            if conn.execute(
                f'select exists (select 1 from "{schema}"."{table}" as row_ where row_::text like %s)',
                (f"%{SANDBOX_TOKEN}%",),
            ).fetchone()[0]
        ]
    assert found == []
