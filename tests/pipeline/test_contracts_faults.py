"""The five contracts on whole in-process nights against the sandbox, one planted fault at a time.

One clean night first (every contract kept, all published), then one night per fault on the same database:
the right contract breaks with a message naming it, a blocking break leaves the published marts as they
were, a warning publishes; every night records one audit row per expectation and quarantines offending rows.
Nights load the CRM alone, except the one with an ad fault (spend_without_currency), which also loads the ad
platforms and drops them again afterwards.
"""

from __future__ import annotations

import psycopg
import pytest

from expectations.docs import DOCS_DIR
from expectations.runner import ContractBroken, load_contracts, validate
from sandbox.ads.story import AD_FAULTS
from sandbox.launcher import RunningSandbox, running_sandbox
from tests.conftest import AD_SOURCES, SANDBOX_TOKEN
from warehouse import nightly

SEED, SCALE = 11, 800
MARTS = ("weekly_contacts_by_stage", "weekly_review")


def marts(url: str, schema: str = "marts") -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {mart: sorted(conn.execute(f"select * from {schema}.{mart}").fetchall(), key=str) for mart in MARTS}


def expected_audit_rows() -> int:
    """One row per expectation (every contract's tables exist: the ads staging model is built, empty, even
    where no ad platform is loaded)."""
    return sum(len(contract.expectations) for contract in load_contracts())


def night(url: str, monkeypatch: pytest.MonkeyPatch, run_id: str, *faults: str) -> dict[str, object]:
    """Extract, build, validate and (unless a blocking contract broke) publish; what BI saw along the way.

    A night extracts HubSpot; one with an ad fault (``AD_FAULTS``) also the ad platforms, whose raw tables it
    drops again at the end, so the nights after it load the CRM alone like the ones before.
    """
    args = ["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE)]
    for fault in faults:
        args += ["--fault", fault]
    with_ads = any(fault.partition("=")[0] in AD_FAULTS for fault in faults)
    with running_sandbox(args) as sandbox:
        monkeypatch.setenv("HUBSPOT_BASE_URL", sandbox.url)
        nightly.extract("hubspot")
        if with_ads:
            extract_ad_platforms(sandbox, monkeypatch)
    try:
        return _build_validate_publish(url, run_id)
    finally:
        if with_ads:
            forget_ad_platforms(url)


def extract_ad_platforms(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    for source in AD_SOURCES:
        monkeypatch.setenv(f"{source.upper()}_BASE_URL", sandbox.url)
        monkeypatch.setenv(f"{source.upper()}_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("GOOGLE_ADS_DEVELOPER_TOKEN", SANDBOX_TOKEN)
    monkeypatch.setenv("META_ADS_POLL_SECONDS", "0.02")  # the async report runs' polls, without the real waits
    for source in AD_SOURCES:
        nightly.extract(source)


def forget_ad_platforms(url: str) -> None:
    """Drop what the ad platforms loaded (raw tables and sync state): a warehouse without ad platforms again.

    The build schemas go first (their staging views read the raw tables; the next build drops them anyway).
    """
    nightly.drop_build_schemas()
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            "select tablename from pg_tables where schemaname = 'raw' and split_part(tablename, '__', 1) = any(%s)",
            (list(AD_SOURCES),),
        ).fetchall()
        for (table,) in tables:
            conn.execute(psycopg.sql.SQL("drop table raw.{}").format(psycopg.sql.Identifier(table)))
        conn.execute("delete from raw._sync_state where source = any(%s)", (list(AD_SOURCES),))


def _build_validate_publish(url: str, run_id: str) -> dict[str, object]:
    nightly.build_models()
    built = marts(url, "build_marts")
    broken: ContractBroken | None = None
    try:
        nightly.validate_contracts(run_id)
    except ContractBroken as error:
        broken = error
    published_during_validation = marts(url) if _published(url) else None
    if broken is None:
        nightly.publish()
    return {"broken": broken, "built": built, "seen_by_bi": published_during_validation, "after": marts(url)}


def _published(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select to_regclass('marts.weekly_review') is not null").fetchone()[0]


def audit(url: str, run_id: str) -> list[tuple[str, str, str, bool, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select contract, severity, expectation, success, promise from audit.contract_results where run_id = %s",
            (run_id,),
        ).fetchall()


def quarantined(url: str, run_id: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return dict(
            conn.execute(
                "select contract, count(*) from audit.quarantine where run_id = %s group by contract", (run_id,)
            ).fetchall()
        )


def broken_contracts(rows: list[tuple[str, str, str, bool, str]]) -> dict[str, set[str]]:
    """{contract: severities of its broken promises}."""
    result: dict[str, set[str]] = {}
    for contract, severity, _, success, _ in rows:
        if not success:
            result.setdefault(contract, set()).add(severity)
    return result


@pytest.fixture(scope="module")
def clean(pipeline_env: dict[str, str]) -> dict[str, object]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return night(pipeline_env["WAREHOUSE_URL"], monkeypatch, "clean")


def test_with_faults_off_every_contract_is_kept_and_the_night_publishes(
    clean: dict[str, object], pipeline_env: dict[str, str]
) -> None:
    url = pipeline_env["WAREHOUSE_URL"]
    rows = audit(url, "clean")
    assert clean["broken"] is None
    assert broken_contracts(rows) == {}
    assert {contract for contract, *_ in rows} == {contract.name for contract in load_contracts()}
    assert clean["after"] == clean["built"]
    assert quarantined(url, "clean") == {}


def test_a_warehouse_without_ad_platforms_keeps_the_ads_contract_on_an_empty_table(
    clean: dict[str, object], pipeline_env: dict[str, str]
) -> None:
    (ads_contract,) = load_contracts(["ads_to_warehouse"])
    ads = [row for row in audit(pipeline_env["WAREHOUSE_URL"], "clean") if row[0] == "ads_to_warehouse"]
    assert len(ads) == len(ads_contract.expectations)
    assert all(success for _, _, _, success, _ in ads)


def test_every_night_records_one_audit_row_per_expectation_and_builds_the_data_docs(
    clean: dict[str, object], pipeline_env: dict[str, str]
) -> None:
    assert len(audit(pipeline_env["WAREHOUSE_URL"], "clean")) == expected_audit_rows()
    page = (DOCS_DIR / "runs" / "clean.html").read_text()
    assert "crm_to_warehouse" in page and "every MQL handed to sales has an email address" in page
    assert 'href="runs/clean.html"' in (DOCS_DIR / "index.html").read_text()


# fault -> (contracts whose blocking promises break, contracts that only warn, a promise the message names)
BLOCKING = {
    "missing_email=0.05": ({"marketing_to_sales"}, "every MQL handed to sales has an email address"),
    # Every deal: a few negative deals among positive ones may leave each week's won revenue positive, and
    # warehouse_to_bi promises that; the CRM contract promises each amount.
    "negative_deal_amount=1": ({"crm_to_warehouse", "warehouse_to_bi"}, "deal amounts are never negative"),
    "unknown_lifecycle=0.05": (
        {"crm_to_warehouse", "warehouse_to_bi"},
        "every active contact's lifecycle value is one the glossary maps to an agreed stage",
    ),
    # The one night that also loads the ad platforms (their raw tables are dropped again afterwards).
    "spend_without_currency=0.05": (
        {"ads_to_warehouse"},
        "every spend comes with a currency that has an agreed conversion rate",
    ),
}


@pytest.mark.parametrize("fault", list(BLOCKING))
def test_a_blocking_fault_breaks_its_contract_and_keeps_yesterdays_marts(
    fault: str, clean: dict[str, object], pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pipeline_env["WAREHOUSE_URL"]
    contracts, promise = BLOCKING[fault]
    yesterday = marts(url)

    outcome = night(url, monkeypatch, fault, fault)

    broken = outcome["broken"]
    assert isinstance(broken, ContractBroken)
    assert {result.name for result in broken.results} == contracts
    message = str(broken)
    assert promise in message
    for contract in contracts:
        assert f"* {contract} (" in message
    assert "owner " in message and "sample: " in message
    assert {name for name, severities in broken_contracts(audit(url, fault)).items() if "block" in severities} == (
        contracts
    )
    assert outcome["seen_by_bi"] == yesterday  # BI reads yesterday's marts while the bad build is validated ...
    assert outcome["after"] == yesterday  # ... and afterwards
    assert len(audit(url, fault)) == expected_audit_rows()
    assert set(quarantined(url, fault)) >= contracts - {"warehouse_to_bi"}


def test_a_warning_fault_is_recorded_and_quarantined_but_publishes(
    clean: dict[str, object], pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pipeline_env["WAREHOUSE_URL"]

    outcome = night(url, monkeypatch, "duplicate_email", "duplicate_email=0.05")

    assert outcome["broken"] is None
    assert broken_contracts(audit(url, "duplicate_email")) == {"crm_to_warehouse": {"warn"}}
    [promise] = [row[4] for row in audit(url, "duplicate_email") if not row[3] and row[0] == "crm_to_warehouse"]
    assert "email no other active contact has" in promise
    assert outcome["after"] == outcome["built"]  # published
    assert quarantined(url, "duplicate_email")["crm_to_warehouse"] > 0


def test_schema_drift_breaks_no_contract_and_publishes(
    clean: dict[str, object], pipeline_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pipeline_env["WAREHOUSE_URL"]

    outcome = night(url, monkeypatch, "schema_drift", "schema_drift=0.2")

    assert outcome["broken"] is None
    assert broken_contracts(audit(url, "schema_drift")) == {}
    assert outcome["after"] == outcome["built"]


# Tampering with one published row of each (then restoring it) breaks the reconciliations of warehouse_to_bi:
# {table: (its key columns, the column moved, by how much)}.
TAMPERING = {
    "intermediate.int_conversions_attributed": (
        ("conversion_id", "attribution_model", "touch_id"),
        "attribution_weight",
        0.5,
    ),
    "marts.weekly_review": (("week_start", "channel"), "spend", 100),
}


def _tamper(url: str, direction: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table, (keys, column, delta) in TAMPERING.items():
            key = " and ".join(f"{name} = %s" for name in keys)
            first = conn.execute(f"select {', '.join(keys)} from {table} order by {', '.join(keys)} limit 1").fetchone()
            conn.execute(f"update {table} set {column} = {column} + %s where {key}", (direction * delta, *first))


def test_weights_that_do_not_sum_to_one_and_spend_the_platforms_did_not_report_break_the_bi_contract(
    clean: dict[str, object], pipeline_env: dict[str, str]
) -> None:
    url = pipeline_env["WAREHOUSE_URL"]
    before = marts(url)
    _tamper(url, +1)
    try:
        [result] = validate(url, names=["warehouse_to_bi"], run_id="tampered")
    finally:
        _tamper(url, -1)

    broken = {outcome.promise for outcome in result.failures}
    assert broken == {
        "under every attribution model, each conversion's touch point weights sum to exactly 1: no conversion is "
        "credited more or less than once",
        "spend in the weekly review equals, channel by channel and to the cent, the spend the ad platforms reported "
        "for the days up to as_of, converted at the agreed rates",
    }
    assert result.blocks
    assert marts(url) == before  # restored for the tests after this one
