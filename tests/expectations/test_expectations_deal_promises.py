"""sales_to_marketing's promises on deals, as shipped, against planted staging deals and the agreed lost reasons:
a closed-lost deal without a reason (the sandbox's `missing_lost_reason` fault) or with one off the list breaks
the promise, naming the deal; open and won deals need none."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from expectations.runner import CONTRACTS_DIR, ContractResult, validate
from sandbox.story import LOST_REASONS
from warehouse.config import DBT_PROJECT_DIR

DEALS_TABLE = "staging.stg_hubspot__deals"
AGREED = ("price", "competitor", "no_decision")
# deal_id, deal_stage, is_closed, is_closed_won, close_date, closed_won_at, closed_lost_reason
Deal = tuple[str, str, bool, bool, str | None, str | None, str | None]
GOOD: list[Deal] = [
    ("1", "closedwon", True, True, "2026-02-01", "2026-02-01 15:00:00+00", None),
    ("2", "closedlost", True, False, "2026-02-03", None, "price"),
    ("3", "qualifiedtobuy", False, False, "2026-03-01", None, None),
    ("4", "closedlost", True, False, "2026-02-10", None, "competitor"),
]
FAULTY: list[Deal] = [
    *GOOD,
    ("5", "closedlost", True, False, "2026-02-11", None, None),  # missing_lost_reason
    ("6", "closedlost", True, False, "2026-02-12", None, "they did not like us"),  # free text off the list
]


@pytest.fixture(scope="module")
def deal_promises_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sales_to_marketing cut to its promises on the deals table (and read from there)."""
    suite = json.loads((CONTRACTS_DIR / "sales_to_marketing.json").read_text())
    suite["expectations"] = [spec for spec in suite["expectations"] if spec["meta"].get("table") == DEALS_TABLE]
    suite["meta"]["contract"]["table"] = DEALS_TABLE
    directory = tmp_path_factory.mktemp("deal-promises")
    (directory / "sales_to_marketing.json").write_text(json.dumps(suite))
    return directory


def plant(url: str, prefix: str, deals: list[Deal]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(f"create schema {prefix}staging")
        conn.execute(f"create schema {prefix}glossary")
        conn.execute(
            f"create table {prefix}staging.stg_hubspot__deals (deal_id text, deal_stage text, is_closed boolean, "
            "is_closed_won boolean, close_date date, closed_won_at timestamptz, closed_lost_reason text, "
            "is_archived boolean default false)"
        )
        conn.cursor().executemany(
            f"insert into {prefix}staging.stg_hubspot__deals (deal_id, deal_stage, is_closed, is_closed_won, "
            "close_date, closed_won_at, closed_lost_reason) values (%s, %s, %s, %s, %s, %s, %s)",
            deals,
        )
        conn.execute(f"create table {prefix}glossary.glossary_deal_lost_reasons (lost_reason text)")
        conn.cursor().executemany(
            f"insert into {prefix}glossary.glossary_deal_lost_reasons values (%s)", [(r,) for r in AGREED]
        )


@pytest.fixture(scope="module")
def validated(warehouse_url: str, deal_promises_dir: Path) -> Callable[[str], ContractResult]:
    plant(warehouse_url, "good_", GOOD)
    plant(warehouse_url, "faulty_", FAULTY)
    results = {
        prefix: validate(warehouse_url, schema_prefix=prefix, run_id=f"deals-{prefix}", contracts_dir=deal_promises_dir)
        for prefix in ("good_", "faulty_")
    }

    def result(prefix: str) -> ContractResult:
        [only] = results[prefix]
        return only

    return result


def test_lost_deals_with_an_agreed_reason_keep_every_deal_promise(validated: Callable[[str], ContractResult]) -> None:
    result = validated("good_")
    assert result.table == "good_staging.stg_hubspot__deals"
    assert result.success
    assert len(result.expectations) == 2  # the close-date promise and the lost-reason promise


def test_a_lost_deal_without_an_agreed_reason_breaks_only_the_lost_reason_promise(
    validated: Callable[[str], ContractResult],
) -> None:
    result = validated("faulty_")
    assert result.blocks
    [broken] = result.failures
    assert broken.promise.startswith("every closed-lost deal comes back with a reason from the agreed list")
    assert broken.unexpected_count == 2
    assert sorted(row["deal_id"] for row in broken.sample) == ["5", "6"]


def test_the_sandbox_sales_team_gives_exactly_the_agreed_lost_reasons() -> None:
    """The promise reads the glossary seed; the sandbox story draws from its own copy of the list: they agree."""
    seed = DBT_PROJECT_DIR / "seeds" / "glossary" / "glossary_deal_lost_reasons.csv"
    with seed.open(newline="") as rows:
        agreed = [row["lost_reason"] for row in csv.DictReader(rows)]
    assert agreed == list(LOST_REASONS)
