"""The impact review on real dbt, the embedded Postgres and the sandbox: definition changes in a copy of the
project give exactly the metric deltas computed here independently; a no-op change reports nothing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from sandbox.story import DEFAULT_NOW
from sandbox.truth import funnel_by_week_and_channel
from tests.impact.conftest import SCALE, SEED, Review

TRUTH_COLUMNS = {  # weekly_review column -> sandbox truth field
    "leads": "leads",
    "mqls": "first_mqls",
    "re_mqls": "re_mqls",
    "sqls": "sqls",
    "opportunities": "opportunities",
    "customers": "customers",
    "won_revenue": "won_revenue",
    "sla_breaches": "sla_breaches",
    "pipeline_created": "pipeline_created",
}
MIN_LEAD_SCORE = 50
Key = tuple[date, str, str]  # week, channel, metric


def move_referrals_to_organic_search(project: Path) -> None:
    rules = project / "seeds/glossary/glossary_channel_rules.csv"
    text = rules.read_text()
    assert "REFERRALS,referral" in text
    rules.write_text(text.replace("REFERRALS,referral", "REFERRALS,organic_search"))


def tighten_mql(project: Path) -> None:
    config = project / "dbt_project.yml"
    text, count = re.subn(r"mql_min_lead_score: null", f"mql_min_lead_score: {MIN_LEAD_SCORE}", config.read_text())
    assert count == 1
    config.write_text(text)


def weekly_review_deltas(report: dict[str, Any], metrics: Iterable[str]) -> dict[Key, Decimal]:
    """The report's changes of `metrics` in weekly_review (rates and attainment move along; not compared here)."""
    metrics = set(metrics)
    return {
        (date.fromisoformat(d["grain"]["week_start"]), d["grain"]["channel"], d["metric"]): Decimal(str(d["change"]))
        for d in report["deltas"]
        if d["mart"] == "weekly_review" and d["metric"] in metrics
    }


def channel_move_expected() -> dict[Key, Decimal]:
    """From the sandbox truth: every referral person's funnel moves, week by week, to organic_search."""
    truth = funnel_by_week_and_channel(SEED, SCALE, DEFAULT_NOW)
    expected: dict[Key, Decimal] = {}
    for (week, channel), counts in truth.items():
        if channel != "referral":
            continue
        for column, field in TRUTH_COLUMNS.items():
            value = Decimal(getattr(counts, field))
            if value:
                expected[(week, "referral", column)] = -value
                expected[(week, "organic_search", column)] = value
    return expected


RECOUNT_SQL = """
with kept as (
    select m.person_key, m.contact_id, m.entered_at
    from {schema}_intermediate.int_mql_entries as m
    join {schema}_intermediate.int_contacts_with_channel as c on c.contact_id = m.contact_id
    where c.lead_score >= %(score)s
),
numbered as (
    select *, row_number() over (partition by person_key order by entered_at, contact_id) = 1 as first
    from kept
),
breaches as (
    select h.person_key, h.mql_at
    from {schema}_intermediate.int_mql_handoffs as h
    join {schema}_intermediate.int_contacts_with_channel as c on c.contact_id = h.contact_id
    where h.is_sla_breached and c.lead_score >= %(score)s
),
events as (
    select person_key, entered_at as at, case when first then 'mqls' else 're_mqls' end as metric from numbered
    union all
    select person_key, mql_at, 'sla_breaches' from breaches
)
select date_trunc('week', e.at at time zone 'UTC')::date, p.channel, e.metric, count(*)
from events as e join {schema}_intermediate.int_people as p on p.person_key = e.person_key
group by 1, 2, 3
"""


def mql_expected(url: str) -> dict[Key, Decimal]:
    """Recount MQLs, re-MQLs and breaches from the base's intermediate tables with the lead-score rule applied,
    and subtract the base's published weekly_review."""
    with psycopg.connect(url) as conn:
        recount = {
            (week, channel, metric): Decimal(n)
            for week, channel, metric, n in conn.execute(
                RECOUNT_SQL.format(schema="impact_base"), {"score": MIN_LEAD_SCORE}
            ).fetchall()
        }
        base: dict[Key, Decimal] = {}
        for week, channel, *values in conn.execute(
            "select week_start, channel, mqls, re_mqls, sla_breaches from impact_base_marts.weekly_review"
        ).fetchall():
            for metric, value in zip(("mqls", "re_mqls", "sla_breaches"), values, strict=True):
                base[(week, channel, metric)] = Decimal(value)
    keys = set(recount) | set(base)
    deltas = {key: recount.get(key, Decimal(0)) - base.get(key, Decimal(0)) for key in keys}
    return {key: change for key, change in deltas.items() if change}


@pytest.fixture(scope="module")
def channel_move(review: Review) -> Iterator[tuple[int, dict[str, Any], Path]]:
    yield review("channel", move_referrals_to_organic_search, "--no-contracts")


def test_moving_a_utm_source_shows_exactly_the_truths_deltas(channel_move, raw_loaded: str) -> None:
    code, report, out = channel_move

    assert code == 0
    assert not report["full_build"]
    assert weekly_review_deltas(report, TRUTH_COLUMNS) == channel_move_expected()
    assert report["definition_files"] == ["seeds/glossary/glossary_channel_rules.csv"]
    with psycopg.connect(raw_loaded) as conn:
        referral_people = conn.execute(
            "select count(*) from impact_base_intermediate.int_people where channel = 'referral'"
        ).fetchone()[0]
    assert referral_people > 0
    assert report["moved"]["int_people"] == {"removed": 0, "added": 0, "changed": referral_people}
    markdown = (out / "impact.md").read_text()
    assert "rule_priority=`60`: channel: `referral` -> `organic_search`" in markdown
    assert "glossary_channel_rules (seed) -> glossary_channel_mapping -> int_contacts_with_channel" in markdown
    assert "<svg" in (out / "impact.html").read_text()


def test_the_head_rebuilds_only_what_the_change_reaches(channel_move) -> None:
    _, report, _ = channel_move
    rebuilt = set(report["rebuilt"])
    assert "seed.smarketing.glossary_channel_rules" in rebuilt
    assert "model.smarketing.weekly_review" in rebuilt
    assert not any(".stg_hubspot__" in node for node in rebuilt)  # staging is deferred to the base
    assert "seed.smarketing.glossary_fx_rates" not in rebuilt


def test_tightening_the_mql_definition_shows_exactly_the_recounted_deltas(review: Review, raw_loaded: str) -> None:
    code, report, out = review("mql", tighten_mql)

    assert code == 0
    expected = mql_expected(raw_loaded)
    assert expected  # the rule really drops MQLs in some weeks
    assert weekly_review_deltas(report, TRUTH_COLUMNS) == expected
    assert report["vars"] == [{"name": "mql_min_lead_score", "base": None, "head": MIN_LEAD_SCORE}]
    with psycopg.connect(raw_loaded) as conn:
        dropped = conn.execute(
            """select count(*) from impact_base_intermediate.int_mql_entries as m
               join impact_base_intermediate.int_contacts_with_channel as c on c.contact_id = m.contact_id
               where c.lead_score is null or c.lead_score < %s""",
            (MIN_LEAD_SCORE,),
        ).fetchone()[0]
    assert report["moved"]["int_mql_entries"]["removed"] == dropped > 0
    assert report["moved"]["int_mql_entries"]["added"] == 0
    assert report["contracts_validated"]
    markdown = (out / "impact.md").read_text()
    assert "### Contracts" in markdown and "Promises kept" in markdown
    assert "int_mql_entries" in markdown


def test_a_no_op_change_reports_nothing_and_exits_0(review: Review) -> None:
    code, report, out = review("noop", lambda project: None)

    assert code == 0
    assert report["no_change"] and not report["deltas"] and not report["changed_files"]
    assert "No change" in (out / "impact.md").read_text()


def test_a_var_read_by_a_macro_falls_back_to_a_full_build_and_says_so(review: Review) -> None:
    def same_zone_other_name(project: Path) -> None:
        config = project / "dbt_project.yml"
        config.write_text(config.read_text().replace("reporting_timezone: UTC", "reporting_timezone: Etc/UTC"))

    code, report, out = review("zone", same_zone_other_name, "--no-contracts")

    assert code == 0
    assert report["full_build"]
    assert any("macro reads a changed var" in note for note in report["notes"])
    assert report["deltas"] == []  # Etc/UTC is UTC: the weeks do not move
    assert "macros/reporting_calendar.sql" in (out / "impact.md").read_text()
