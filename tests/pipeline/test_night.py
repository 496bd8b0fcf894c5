"""A whole night's steps against the sandbox, without Airflow: the published mart equals the ground truth,
and a broken contract keeps yesterday's mart published."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import psycopg
import pytest

from expectations.runner import ContractBroken
from sandbox.ads.truth import spend_by_month_and_campaign
from sandbox.attribution_truth import (
    ATTRIBUTION_MODELS,
    Conversion,
    TouchPoint,
    channel_performance,
    people_touch_points_and_conversions,
)
from sandbox.launcher import running_sandbox
from sandbox.story import DEFAULT_NOW, LOST_REASONS, Story, to_ms
from sandbox.truth import contacts_by_week_and_stage, funnel_by_week_and_channel
from tests.conftest import SANDBOX_TOKEN, extract_sources, published_counts
from warehouse import nightly
from warehouse.dbt import run_dbt
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
                   won_revenue, pipeline_created
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
            counts.pipeline_created,
        )
        for key, counts in truth.items()
    }
    assert published == expected
    assert sum(counts.customers for counts in truth.values()) > 0  # the story closes deals ...
    # ... and creates more pipeline than it wins (open and lost deals count too)
    assert sum(c.pipeline_created for c in truth.values()) > sum(c.won_revenue for c in truth.values()) > 0
    assert sum(counts.sla_breaches for counts in truth.values()) > 0  # ... and breaches the SLA
    assert sum(counts.re_mqls for counts in truth.values()) > 0  # ... and recycles leads


def test_every_closed_lost_deal_is_staged_with_the_reason_sales_gave_in_the_story(pipeline_env: dict[str, str]) -> None:
    """The clean night above published staging: closed_lost_reason as the story's deals have it, on lost deals only."""
    story = Story(SEED, SCALE)
    now_ms = to_ms(DEFAULT_NOW)
    deals = [deal for index in range(story.count_at(now_ms)) if (deal := story.view(index, now_ms).deal) is not None]
    expected = {deal.deal.id: deal.lost_reason for deal in deals}
    with psycopg.connect(pipeline_env["WAREHOUSE_URL"]) as conn:
        staged = dict(conn.execute("select deal_id, closed_lost_reason from staging.stg_hubspot__deals").fetchall())
    assert staged == expected
    lost = [deal for deal in deals if deal.lost]
    assert lost and all(expected[deal.deal.id] in LOST_REASONS for deal in lost)
    assert all(expected[deal.deal.id] is None for deal in deals if not deal.lost)


# --- attribution: channel_performance against the sandbox's truth --------------------------------------------
# The nights above load only the CRM; channel_performance also needs the ad platforms. One fixture loads them from
# the same story and rebuilds the models (and seeds) into the build schemas, without tests or contracts: the nights
# above already ran every data test, the attribution ones included, on this CRM data.


@pytest.fixture(scope="module")
def attribution_built(pipeline_env: dict[str, str]) -> str:
    args = ["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE)]
    with running_sandbox(args) as sandbox:
        extract_sources(sandbox.url)
    nightly.drop_build_schemas()
    run_dbt("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    return pipeline_env["WAREHOUSE_URL"]


@pytest.fixture(scope="module")
def people_truth() -> list[tuple[list[TouchPoint], list[Conversion]]]:
    return people_touch_points_and_conversions(SEED, SCALE, DEFAULT_NOW)


def test_channel_performance_spends_every_month_what_the_ad_platforms_report(attribution_built: str) -> None:
    with psycopg.connect(attribution_built) as conn:
        rows = conn.execute(
            """
            select attribution_model, month_start, channel, campaign_id, spend
            from build_marts.channel_performance
            where spend <> 0
            """
        ).fetchall()
    truth = spend_by_month_and_campaign(SEED)
    monthly_truth: dict[object, Decimal] = defaultdict(Decimal)
    for (month, _, _), spend in truth.items():
        monthly_truth[month] += spend
    assert len(monthly_truth) == 3 and all(spend > 0 for spend in monthly_truth.values())
    for model in ATTRIBUTION_MODELS:  # every model carries all the spend
        spend = {(month, channel, campaign): amount for m, month, channel, campaign, amount in rows if m == model}
        assert spend == truth
        monthly: dict[object, Decimal] = defaultdict(Decimal)
        for (month, _, _), amount in spend.items():
            monthly[month] += amount
        assert monthly == monthly_truth


def test_each_models_attributed_mqls_add_up_to_the_first_mqls_with_a_touch_point(
    attribution_built: str, people_truth: list[tuple[list[TouchPoint], list[Conversion]]]
) -> None:
    touched_mqls = sum(
        1
        for touches, conversions in people_truth
        for conversion in conversions
        if conversion.kind == "mql" and any(touch.ms <= conversion.ms for touch in touches)
    )
    with psycopg.connect(attribution_built) as conn:
        attributed = dict(
            conn.execute(
                "select attribution_model, sum(attributed_mqls) from build_marts.channel_performance group by 1"
            ).fetchall()
        )
        first_mqls = conn.execute("select sum(mqls) from build_marts.weekly_review").fetchone()[0]
    assert attributed == {model: touched_mqls for model in ATTRIBUTION_MODELS}
    assert 0 < touched_mqls < first_mqls  # some first MQLs came without any tagged touch point before them


def test_every_conversions_weights_sum_to_exactly_one_under_every_model(attribution_built: str) -> None:
    with psycopg.connect(attribution_built) as conn:
        totals = conn.execute(
            """
            select conversion_type, attribution_model, sum(attribution_weight), max(path_length)
            from build_intermediate.int_conversions_attributed
            group by conversion_id, conversion_type, attribution_model
            """
        ).fetchall()
    assert {(kind, model) for kind, model, _, _ in totals} == {
        (kind, model) for kind in ("mql", "opportunity", "customer", "won_deal") for model in ATTRIBUTION_MODELS
    }
    assert all(total == 1 for _, _, total, _ in totals)
    assert max(length for *_, length in totals) >= 3  # paths long enough for the models to differ


def test_channel_performance_equals_the_attribution_truth_row_by_row(attribution_built: str) -> None:
    with psycopg.connect(attribution_built) as conn:
        rows = conn.execute(
            """
            select month_start, channel, campaign_id, attribution_model, spend, impressions, clicks, attributed_mqls,
                   attributed_opportunities, attributed_customers, attributed_revenue, cac, roas
            from build_marts.channel_performance
            """
        ).fetchall()
    published = {(row[0], row[1], row[2], row[3]): tuple(row[4:]) for row in rows}
    expected = {
        key: (
            row.spend,
            row.impressions,
            row.clicks,
            row.attributed_mqls,
            row.attributed_opportunities,
            row.attributed_customers,
            row.attributed_revenue,
            row.cac,
            row.roas,
        )
        for key, row in channel_performance(SEED, SCALE, DEFAULT_NOW).items()
    }
    assert published == expected
    assert any(row[7] is not None for row in published.values())  # some campaign has a CAC ...
    assert any(row[8] is not None and row[8] > 0 for row in published.values())  # ... and a positive ROAS
