"""Contract files: the shipped ones are valid GX suites; a malformed one is refused with its file named."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from expectations import runner
from expectations.runner import (
    ContractBroken,
    ContractFileError,
    ContractResult,
    ExpectationOutcome,
    build_suite,
    load_contracts,
    raise_for_blocking,
)

SHIPPED = json.loads((runner.CONTRACTS_DIR / "warehouse_to_bi.json").read_text())


def test_every_shipped_contract_is_a_valid_gx_suite_with_all_its_expectations() -> None:
    contracts = load_contracts()
    assert "warehouse_to_bi" in [contract.name for contract in contracts]
    for contract in contracts:
        suite = build_suite(contract)
        assert suite.name == contract.name
        assert [expectation.expectation_type for expectation in suite.expectations] == [
            spec["type"] for spec in contract.expectations
        ]
        assert all(spec.get("meta", {}).get("promise") for spec in contract.expectations), contract.path


def test_the_walking_skeleton_contract_binds_data_engineering_and_bi_and_blocks_publication() -> None:
    [contract] = load_contracts(["warehouse_to_bi"])
    assert contract.severity == "block"
    assert set(contract.binds) == {"data-engineering", "bi"}
    assert contract.table == "marts.weekly_contacts_by_stage"
    assert contract.physical_table("build_") == ("build_marts", "weekly_contacts_by_stage")
    assert contract.physical_table() == ("marts", "weekly_contacts_by_stage")


def test_unknown_contract_names_are_reported_with_the_known_ones() -> None:
    with pytest.raises(ContractFileError, match=r"unknown contract\(s\) no_such_contract: .*warehouse_to_bi"):
        load_contracts(["warehouse_to_bi", "no_such_contract"])


def _without_severity(suite: dict[str, Any]) -> None:
    del suite["meta"]["contract"]["severity"]


def _with_severity_maybe(suite: dict[str, Any]) -> None:
    suite["meta"]["contract"]["severity"] = "maybe"


def _with_other_name(suite: dict[str, Any]) -> None:
    suite["name"] = "something_else"


def _without_expectations(suite: dict[str, Any]) -> None:
    suite["expectations"] = []


def _with_schemaless_table(suite: dict[str, Any]) -> None:
    suite["meta"]["contract"]["table"] = "weekly_contacts_by_stage"


@pytest.mark.parametrize(
    ("spoil", "complaint"),
    [
        (_without_severity, "lacks severity"),
        (_with_severity_maybe, "severity\" must be one of block, warn, got 'maybe'"),
        (_with_other_name, '"name" must be the file name'),
        (_without_expectations, '"expectations" must be a non-empty list'),
        (_with_schemaless_table, '"meta.contract.table" must be "<schema>.<table>"'),
    ],
)
def test_a_malformed_contract_is_refused_naming_its_file_and_the_fault(
    tmp_path: Path, spoil: Any, complaint: str
) -> None:
    suite = copy.deepcopy(SHIPPED)
    spoil(suite)
    (tmp_path / "warehouse_to_bi.json").write_text(json.dumps(suite))
    with pytest.raises(ContractFileError) as raised:
        load_contracts(contracts_dir=tmp_path)
    assert str(tmp_path / "warehouse_to_bi.json") in str(raised.value)
    assert complaint in str(raised.value)


def test_a_contract_file_that_is_not_json_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('{"name": "broken",')
    with pytest.raises(ContractFileError, match=r"broken\.json: not valid JSON"):
        load_contracts(contracts_dir=tmp_path)


def test_an_expectation_gx_does_not_know_is_refused_naming_the_file(tmp_path: Path) -> None:
    suite = copy.deepcopy(SHIPPED)
    suite["expectations"][2]["type"] = "expect_column_values_to_not_be_nul"
    (tmp_path / "warehouse_to_bi.json").write_text(json.dumps(suite))
    [contract] = load_contracts(contracts_dir=tmp_path)
    with pytest.raises(
        ContractFileError, match=r"warehouse_to_bi\.json: expectation #3 \(expect_column_values_to_not_be_nul\)"
    ):
        build_suite(contract)


def _result(severity: str, success: bool) -> ContractResult:
    outcome = ExpectationOutcome("expect_column_values_to_not_be_null", ("stage",), success, None, 1, [], "p")
    return ContractResult(
        name=f"{severity}_contract",
        title="t",
        owner="o",
        severity=severity,
        binds=("a", "b"),
        table="s.t",
        success=success,
        expectations=[outcome],
        validated_at=datetime.now(UTC),
    )


def test_only_a_failed_block_contract_raises() -> None:
    raise_for_blocking([_result("warn", False), _result("block", True)])
    with pytest.raises(ContractBroken, match="block_contract"):
        raise_for_blocking([_result("warn", False), _result("block", False)])
