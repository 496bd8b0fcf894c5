"""The runner against a real Postgres: planted marts in build-like schemas, validated once per schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from expectations import runner
from expectations.runner import (
    TABLE_EXISTS,
    ContractBroken,
    ContractResult,
    format_results,
    raise_for_blocking,
    record_results,
    validate,
)

Validate = Callable[[str], list[ContractResult]]


@pytest.fixture(scope="module")
def validated(warehouse_url: str, plant_mart, network_attempts: list[object], skeleton_dir: Path) -> Validate:
    """Results of the shipped contracts per schema prefix, each prefix validated once for the module."""
    plant_mart("build_marts", "good")
    plant_mart("nullstage_marts", "unknown_stage")
    plant_mart("dupe_marts", "duplicate")
    cache: dict[str, list[ContractResult]] = {}

    def results(prefix: str) -> list[ContractResult]:
        if prefix not in cache:
            cache[prefix] = validate(
                warehouse_url,
                schema_prefix=prefix,
                names=["warehouse_to_bi"],
                run_id=f"test-{prefix}",
                contracts_dir=skeleton_dir,
            )
        return cache[prefix]

    return results


def broken(result: ContractResult) -> list[tuple[str, str]]:
    return [(outcome.expectation, outcome.column) for outcome in result.failures]


def test_good_data_in_the_build_schema_keeps_every_promise(validated: Validate) -> None:
    [result] = validated("build_")
    assert result.table == "build_marts.weekly_contacts_by_stage"
    assert result.success, format_results([result])
    assert [outcome.expectation for outcome in result.expectations] == [
        "expect_table_row_count_to_be_between",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_not_be_null",
        "expect_compound_columns_to_be_unique",
        "expect_column_values_to_be_between",
    ]
    assert result.expectations[0].observed_value == 4
    raise_for_blocking([result])


def test_a_contact_in_no_agreed_stage_breaks_only_the_not_null_promise(validated: Validate) -> None:
    [result] = validated("nullstage_")
    assert not result.success
    assert broken(result) == [("expect_column_values_to_not_be_null", "canonical_stage")]
    [outcome] = result.failures
    assert outcome.unexpected_count == 1
    assert outcome.sample == [
        {"week_start": "2024-01-15", "canonical_stage": None, "stage_order": None, "contact_count": 2}
    ]
    assert outcome.promise == "every contact counted sits in an agreed stage"


def test_a_broken_blocking_contract_raises_naming_owner_table_promise_and_offending_row(
    validated: Validate,
) -> None:
    with pytest.raises(ContractBroken) as raised:
        raise_for_blocking(validated("nullstage_"))
    message = str(raised.value)
    assert "owner data-engineering" in message
    assert "table nullstage_marts.weekly_contacts_by_stage" in message
    assert "every contact counted sits in an agreed stage" in message
    assert "expect_column_values_to_not_be_null on canonical_stage" in message
    assert '"week_start": "2024-01-15", "canonical_stage": null' in message
    assert [result.name for result in raised.value.results] == ["warehouse_to_bi"]


def test_a_stage_counted_twice_in_one_week_breaks_uniqueness(validated: Validate) -> None:
    [result] = validated("dupe_")
    assert broken(result) == [("expect_compound_columns_to_be_unique", "week_start, canonical_stage")]
    [outcome] = result.failures
    assert outcome.unexpected_count == 2
    assert {(row["week_start"], row["canonical_stage"]) for row in outcome.sample} == {("2024-01-08", "lead")}


def test_a_missing_table_is_a_failed_result_that_names_it(validated: Validate) -> None:
    [result] = validated("absent_")
    assert not result.success
    assert result.table == "absent_marts.weekly_contacts_by_stage"
    [outcome] = result.expectations
    assert outcome.expectation == TABLE_EXISTS
    assert outcome.error == "table absent_marts.weekly_contacts_by_stage does not exist"
    with pytest.raises(ContractBroken, match=r"absent_marts\.weekly_contacts_by_stage does not exist"):
        raise_for_blocking([result])


def test_the_pass_fail_table_shows_each_expectation_with_its_result(validated: Validate) -> None:
    text = format_results(validated("build_") + validated("nullstage_"))
    lines = text.splitlines()
    assert lines[0].split() == ["contract", "table", "severity", "expectation", "column", "result", "unexpected"]
    result_column = lines[0].index("result")
    results = [line[result_column:].split()[0] for line in lines[2:-1]]
    assert results == ["pass"] * 5 + ["pass", "pass", "FAIL", "pass", "pass"]
    assert lines[-1] == "2 contract(s) checked: 1 kept, 1 broken (1 blocking)"


def test_a_failing_warn_contract_is_reported_but_never_raises(
    validated: Validate, warehouse_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skeleton_dir: Path
) -> None:
    validated("build_")  # plants the marts
    shipped = json.loads((skeleton_dir / "warehouse_to_bi.json").read_text())
    warn = {
        "name": "bi_weekly_volume_hint",
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "contact_count", "max_value": 3},
                "meta": {"promise": "no stage holds more than three contacts a week"},
            }
        ],
        "meta": {"contract": {**shipped["meta"]["contract"], "severity": "warn", "owner": "marketing-ops"}},
    }
    (tmp_path / "warehouse_to_bi.json").write_text(json.dumps(shipped))
    (tmp_path / "bi_weekly_volume_hint.json").write_text(json.dumps(warn))
    monkeypatch.setattr(runner, "CONTRACTS_DIR", tmp_path)

    results = validate(warehouse_url, schema_prefix="build_", run_id="test-warn")

    by_name = {result.name: result for result in results}
    assert by_name["warehouse_to_bi"].success
    assert not by_name["bi_weekly_volume_hint"].success
    assert by_name["bi_weekly_volume_hint"].failures[0].unexpected_count == 2  # the weeks with 5 and 4 leads
    raise_for_blocking(results)
    assert "(0 blocking)" in format_results(results)


def test_the_audit_table_gets_one_row_per_expectation_per_run(validated: Validate, warehouse_url: str) -> None:
    assert record_results(warehouse_url, "run-good", validated("build_")) == 5
    with psycopg.connect(warehouse_url) as conn:
        record_results(conn, "run-bad", validated("nullstage_") + validated("absent_"))
    with psycopg.connect(warehouse_url) as conn:
        counts = dict(
            conn.execute(
                "select run_id, count(*) from audit.contract_results where run_id like 'run-%' group by run_id"
            ).fetchall()
        )
        row = conn.execute(
            """select contract, severity, owner, table_name, success, unexpected_count, sample, promise
               from audit.contract_results where run_id = 'run-bad' and column_name = 'canonical_stage'"""
        ).fetchone()
    assert counts == {"run-good": 5, "run-bad": 5 + 1}
    assert row == (
        "warehouse_to_bi",
        "block",
        "data-engineering",
        "nullstage_marts.weekly_contacts_by_stage",
        False,
        1,
        [{"week_start": "2024-01-15", "canonical_stage": None, "stage_order": None, "contact_count": 2}],
        "every contact counted sits in an agreed stage",
    )


def test_validation_reaches_nothing_but_the_database(validated: Validate, network_attempts: list[object]) -> None:
    for prefix in ("build_", "nullstage_", "dupe_", "absent_"):
        validated(prefix)
    assert network_attempts == []


def test_a_column_the_table_lacks_is_a_broken_promise_naming_the_column(
    validated: Validate, warehouse_url: str, tmp_path: Path, skeleton_dir: Path
) -> None:
    validated("build_")  # plants the marts
    suite = json.loads((skeleton_dir / "warehouse_to_bi.json").read_text())
    suite["expectations"][2]["kwargs"]["column"] = "lifecycle_stage"  # as if dbt renamed the column
    (tmp_path / "warehouse_to_bi.json").write_text(json.dumps(suite))

    [result] = validate(warehouse_url, schema_prefix="build_", run_id="test-renamed", contracts_dir=tmp_path)

    assert broken(result) == [("expect_column_values_to_not_be_null", "lifecycle_stage")]
    assert 'The column "lifecycle_stage" in BatchData does not exist' in (result.failures[0].error or "")
    assert "ERROR" in format_results([result])
