"""Rules of the contract files beyond one table: schema placeholders, per-promise table and severity, pending."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from expectations.runner import (
    CONTRACTS_DIR,
    ContractFileError,
    ContractResult,
    ExpectationOutcome,
    build_suite,
    load_contracts,
    resolve_schemas,
)

SHIPPED = {path.stem: json.loads(path.read_text()) for path in CONTRACTS_DIR.glob("*.json")}


def test_the_five_hand_overs_each_have_a_contract_with_teams_owner_and_severity() -> None:
    contracts = {contract.name: contract for contract in load_contracts()}
    assert set(contracts) == {
        "crm_to_warehouse",
        "ads_to_warehouse",
        "marketing_to_sales",
        "sales_to_marketing",
        "warehouse_to_bi",
    }
    for contract in contracts.values():
        assert len(contract.binds) >= 2 and contract.owner and contract.severity in ("block", "warn")
    assert contracts["ads_to_warehouse"].requires_tables == ("staging.stg_ads__campaign_days",)


def test_schema_placeholders_resolve_to_the_build_schemas_but_never_prefix_raw() -> None:
    query = "select * from {schema:intermediate}.a join {schema:raw}.b using (id)"
    assert resolve_schemas(query, "build_") == "select * from build_intermediate.a join raw.b using (id)"
    assert resolve_schemas(query) == "select * from intermediate.a join raw.b using (id)"
    [contract] = load_contracts(["warehouse_to_bi"])
    suite = build_suite(contract, "build_")
    queries = [e.unexpected_rows_query for e in suite.expectations if hasattr(e, "unexpected_rows_query")]
    assert queries and all("{schema:" not in query for query in queries)
    assert any("build_intermediate.int_deals_in_reporting_currency" in query for query in queries)


def test_no_shipped_query_aliases_a_batch_unless_it_joins() -> None:
    """GX renders {batch} as `(...) AS subselect` in a query without JOIN (an alias of ours would then break it)
    and as `(...)` in one with JOIN (which then needs our alias)."""
    for name, suite in SHIPPED.items():
        for spec in suite["expectations"]:
            query = spec["kwargs"].get("unexpected_rows_query", "")
            joins = " join " in query.lower()
            for part in query.split("{batch}")[1:]:
                aliased = part.lstrip().lower().startswith("as ")
                assert aliased == joins, (name, query)


def _write(tmp_path: Path, suite: dict) -> Path:
    (tmp_path / f"{suite['name']}.json").write_text(json.dumps(suite))
    return tmp_path


def test_a_warn_contract_cannot_hold_a_blocking_promise(tmp_path: Path) -> None:
    suite = copy.deepcopy(SHIPPED["marketing_to_sales"])
    suite["meta"]["contract"]["severity"] = "warn"
    suite["expectations"][0]["meta"]["severity"] = "block"
    with pytest.raises(ContractFileError, match="an expectation of a warn contract cannot block"):
        load_contracts(contracts_dir=_write(tmp_path, suite))


def test_a_promise_table_must_name_its_schema(tmp_path: Path) -> None:
    suite = copy.deepcopy(SHIPPED["crm_to_warehouse"])
    suite["expectations"][0]["meta"]["table"] = "stg_hubspot__deals"
    with pytest.raises(ContractFileError, match=r'expectation #1 .*meta.table" must be "<schema>.<table>"'):
        load_contracts(contracts_dir=_write(tmp_path, suite))


def _outcome(success: bool, severity: str | None) -> ExpectationOutcome:
    return ExpectationOutcome("e", (), success, None, 1, [], "p", severity=severity)


@pytest.mark.parametrize(
    ("outcomes", "blocks"),
    [
        ([_outcome(False, "warn"), _outcome(True, None)], False),
        ([_outcome(False, "warn"), _outcome(False, None)], True),
        ([_outcome(True, None)], False),
    ],
)
def test_only_a_broken_blocking_promise_blocks_a_block_contract(outcomes: list, blocks: bool) -> None:
    result = ContractResult("c", "t", "o", "block", ("a", "b"), "s.t", all(o.success for o in outcomes), outcomes)
    assert result.blocks is blocks
