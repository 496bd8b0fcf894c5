"""`python -m expectations validate` as the DAG and a person run it: exit status, table, audit rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def start_cli(*args: str, warehouse_url: str | None) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "WAREHOUSE_URL"}
    if warehouse_url:
        env["WAREHOUSE_URL"] = warehouse_url
    return subprocess.Popen(
        [sys.executable, "-m", "expectations", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout, stderr


@pytest.fixture(scope="module")
def runs(warehouse_url: str, plant_mart, skeleton_dir: Path) -> dict[str, tuple[int, str, str]]:
    """Both runs at once (each pays the Great Expectations import): a good build and a broken one."""
    plant_mart("build_marts", "good")
    plant_mart("nullstage_marts", "unknown_stage")
    contracts = ("--contracts-dir", str(skeleton_dir))
    good = start_cli(
        "validate", "--schema-prefix", "build_", "--run-id", "cli-good", *contracts, warehouse_url=warehouse_url
    )
    bad = start_cli(
        "validate", "--schema-prefix", "nullstage_", "--run-id", "cli-bad", *contracts, warehouse_url=warehouse_url
    )
    return {"good": finish(good), "bad": finish(bad)}


def test_the_cli_exits_0_and_prints_the_table_when_every_contract_holds(runs) -> None:
    code, stdout, stderr = runs["good"]
    assert code == 0, stderr
    assert "1 contract(s) checked: 1 kept, 0 broken (0 blocking)" in stdout
    assert "run cli-good: 5 row(s) recorded in audit.contract_results" in stdout
    assert "data docs: " in stdout and "index.html" in stdout
    assert stderr == ""


def test_the_cli_exits_1_and_names_the_broken_promise_when_a_blocking_contract_fails(runs) -> None:
    code, stdout, stderr = runs["bad"]
    assert code == 1
    assert "FAIL" in stdout
    assert "every contact counted sits in an agreed stage" in stderr
    assert "owner data-engineering" in stderr
    assert "nullstage_marts.weekly_contacts_by_stage" in stderr


def test_the_cli_records_both_runs_in_the_audit_table(runs, warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "select run_id, count(*), bool_and(success) from audit.contract_results group by run_id order by run_id"
        ).fetchall()
    assert rows == [("cli-bad", 5, False), ("cli-good", 5, True)]


def test_the_cli_explains_a_missing_warehouse_url_and_exits_2() -> None:
    code, _, stderr = finish(start_cli("validate", warehouse_url=None))
    assert code == 2
    assert "WAREHOUSE_URL is not set" in stderr


def test_the_cli_lists_the_known_contracts_when_given_an_unknown_one_and_exits_2(warehouse_url: str) -> None:
    code, _, stderr = finish(start_cli("validate", "--contract", "nope", warehouse_url=warehouse_url))
    assert code == 2
    assert "unknown contract(s) nope" in stderr
    assert "warehouse_to_bi" in stderr
