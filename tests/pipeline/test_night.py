"""A whole night's steps against the sandbox, without Airflow: the published mart equals the ground truth,
and a broken contract keeps yesterday's mart published."""

from __future__ import annotations

import psycopg
import pytest

from expectations.runner import ContractBroken
from sandbox.launcher import running_sandbox
from sandbox.story import DEFAULT_NOW
from sandbox.truth import contacts_by_week_and_stage, funnel_by_week_and_channel
from tests.conftest import SANDBOX_TOKEN, published_counts
from warehouse import nightly
from warehouse.publish import PublishError, publish

SEED, SCALE = 11, 400


def run_night_against(sandbox_args: list[str], monkeypatch: pytest.MonkeyPatch, run_id: str) -> None:
    with running_sandbox(["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE), *sandbox_args]) as sb:
        monkeypatch.setenv("HUBSPOT_BASE_URL", sb.url)
        nightly.extract("hubspot")
    nightly.build_models()
    nightly.validate_contracts(run_id)
    nightly.publish()


def test_a_clean_night_publishes_exactly_the_sandbox_truth(pipeline_env: dict[str, str], monkeypatch) -> None:
    run_night_against([], monkeypatch, "night-1")

    truth = contacts_by_week_and_stage(SEED, SCALE, DEFAULT_NOW)
    assert published_counts(pipeline_env["WAREHOUSE_URL"]) == truth
    assert sum(truth.values()) > 300  # the story really has contacts in many weeks and stages
    assert len({stage for _, stage in truth}) >= 5


def test_rerunning_the_night_publishes_identical_numbers(pipeline_env: dict[str, str], monkeypatch) -> None:
    before = published_counts(pipeline_env["WAREHOUSE_URL"])
    run_night_against([], monkeypatch, "night-1-rerun")

    assert published_counts(pipeline_env["WAREHOUSE_URL"]) == before
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        raw_rows, records = conn.execute(
            "select count(*), count(distinct record_id) from raw.hubspot__contacts"
        ).fetchone()
        staged = conn.execute("select count(*) from staging.stg_hubspot__contacts").fetchone()[0]
    assert raw_rows == 2 * records  # raw is append-only ...
    assert staged == records  # ... and staging keeps one row per contact


def test_an_unknown_lifecycle_value_breaks_the_contract_and_keeps_yesterdays_mart(
    pipeline_env: dict[str, str], monkeypatch
) -> None:
    yesterday = published_counts(pipeline_env["WAREHOUSE_URL"])

    with pytest.raises(ContractBroken) as broken:
        run_night_against(["--fault", "unknown_lifecycle=0.05"], monkeypatch, "night-2-faulty")

    message = str(broken.value)
    assert "warehouse_to_bi" in message
    assert "canonical_stage" in message
    assert "data-engineering" in message  # the contract's owner
    assert published_counts(pipeline_env["WAREHOUSE_URL"]) == yesterday
    build = published_counts(pipeline_env["WAREHOUSE_URL"], schema="build_marts")
    assert any(stage is None for _, stage in build)  # the bad night's build is there to inspect, unpublished


def test_publishing_an_incomplete_build_swaps_nothing(pipeline_env: dict[str, str]) -> None:
    url = pipeline_env["WAREHOUSE_URL"]
    before = published_counts(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop schema build_glossary cascade")
        with pytest.raises(PublishError, match="build_glossary"):
            publish(conn)
        still_building = conn.execute("select 1 from pg_namespace where nspname = 'build_marts'").fetchone()
    assert still_building is not None
    assert published_counts(url) == before


def test_the_weekly_review_equals_the_sandbox_funnel_truth_for_every_week_and_channel(
    pipeline_env: dict[str, str], monkeypatch
) -> None:
    run_night_against([], monkeypatch, "night-3-clean")

    truth = funnel_by_week_and_channel(SEED, SCALE, DEFAULT_NOW)
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        rows = conn.execute(
            """
            select week_start, channel, leads, mqls, re_mqls, sqls, opportunities, customers, sla_breaches,
                   won_revenue
            from marts.weekly_review
            """
        ).fetchall()
    published = {(week, channel): tuple(values) for week, channel, *values in rows}
    expected = {
        key: (
            counts.leads,
            counts.first_mqls,
            counts.re_mqls,
            counts.sqls,
            counts.opportunities,
            counts.customers,
            counts.sla_breaches,
            counts.won_revenue,
        )
        for key, counts in truth.items()
    }
    assert published == expected
    assert sum(counts.customers for counts in truth.values()) > 0  # the story closes deals ...
    assert sum(counts.sla_breaches for counts in truth.values()) > 0  # ... and breaches the SLA
    assert sum(counts.re_mqls for counts in truth.values()) > 0  # ... and recycles leads
