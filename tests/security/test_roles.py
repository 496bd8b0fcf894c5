"""Each warehouse role logs in and meets exactly its grants, before and after the publish swap."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.errors import InsufficientPrivilege

from tests.security.warehouse_fixture import build_night, grants_snapshot, login
from warehouse import roles
from warehouse.publish import publish


def denied(conn: psycopg.Connection, statement: str) -> str:
    """The error message of a statement the role may not run (the test fails if it runs)."""
    with pytest.raises(InsufficientPrivilege) as error:
        conn.execute(statement)
    return str(error.value)


# --- BI ------------------------------------------------------------------------------------------------------


def test_bi_gets_permission_denied_on_raw_contacts(secured_url: str, role_passwords: dict[str, str]) -> None:
    with login(secured_url, roles.BI, role_passwords) as bi:
        assert "permission denied" in denied(bi, "select * from raw.hubspot__contacts")
        assert "permission denied" in denied(bi, "select * from audit.quarantine")


def test_bi_reads_the_marts_and_glossary_terms_published_after_the_grants(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with login(secured_url, roles.BI, role_passwords) as bi:
        assert bi.execute("select leads, night from marts.weekly_review").fetchall() == [(2, 1)]
        assert bi.execute("select term from glossary.glossary_terms").fetchall() == [("mqls",)]
        denied(bi, "select * from glossary.glossary_channel_rules")
        denied(bi, "select * from staging.stg_hubspot__contacts")
        denied(bi, "select * from intermediate.int_people")


def test_bi_keeps_reading_after_the_next_nights_swap(secured_url: str, role_passwords: dict[str, str]) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
            build_night(transformer, 2)
        publish(admin)
    with login(secured_url, roles.BI, role_passwords) as bi:
        assert bi.execute("select night from marts.weekly_review").fetchall() == [(2,)]
        assert bi.execute("select count(*) from glossary.glossary_terms").fetchone() == (1,)
        denied(bi, "select * from staging.stg_hubspot__contacts")


def test_no_reader_sees_the_generation_publish_keeps_for_the_next_build(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    """The incremental tables of the retired build (personal data included) wait in `previous_<layer>`, which no
    role but the pipeline's may use, although their table grants came along from when they were published."""
    with psycopg.connect(secured_url, autocommit=True) as admin:
        with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
            transformer.execute("drop schema if exists build_staging, build_glossary, build_intermediate cascade")
            transformer.execute("drop schema if exists build_marts cascade")
            build_night(transformer, 4)
        publish(admin)
        kept = admin.execute("select count(*) from previous_intermediate.int_people").fetchone()[0]
        assert kept >= 2  # the people of the night this publish retired
    for role in (roles.BI, roles.ANALYST, roles.TRANSFORMER, roles.LOADER):
        with login(secured_url, role, role_passwords) as conn:
            assert "permission denied for schema previous_intermediate" in denied(
                conn, "select first_contact_id from previous_intermediate.int_people"
            )


# --- loader --------------------------------------------------------------------------------------------------


def test_loader_writes_raw_but_cannot_create_in_or_read_marts(secured_url: str, role_passwords: dict[str, str]) -> None:
    with login(secured_url, roles.LOADER, role_passwords) as loader:
        loader.execute("insert into raw.hubspot__contacts values ('103', '{}', 3)")
        loader.execute("insert into raw._batches (source, records) values ('hubspot', 1)")  # identity column
        loader.execute("create table raw.hubspot__tickets (record_id text, record jsonb)")  # a new stream
        assert "permission denied" in denied(loader, "create table marts.loader_table (id int)")
        denied(loader, "select * from marts.weekly_review")
        denied(loader, "create schema loader_schema")
        denied(loader, "insert into audit.quarantine (contract, row) values ('x', '{}')")
    with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
        # default privileges: the loader's new table is readable by the transformer at once
        assert transformer.execute("select count(*) from raw.hubspot__tickets").fetchone() == (0,)


def test_a_raw_table_the_pipeline_user_creates_later_keeps_the_grants(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        admin.execute("create table raw.linkedin_ads__campaign_daily (record_id text, record jsonb)")
    with login(secured_url, roles.LOADER, role_passwords) as loader:
        loader.execute("insert into raw.linkedin_ads__campaign_daily values ('l1', '{}')")
    with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
        assert transformer.execute("select count(*) from raw.linkedin_ads__campaign_daily").fetchone() == (1,)


# --- transformer ---------------------------------------------------------------------------------------------


def test_transformer_reads_raw_builds_schemas_and_writes_audit_but_not_raw(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
        assert transformer.execute("select count(*) >= 2 from raw.hubspot__contacts").fetchone() == (True,)
        transformer.execute("create schema build_scratch")
        transformer.execute("create table build_scratch.contacts as select record_id from raw.hubspot__contacts")
        transformer.execute("drop schema build_scratch cascade")
        transformer.execute("insert into audit.contract_results (contract, success) values ('ads_to_warehouse', true)")
        assert transformer.execute("select count(*) from intermediate.int_people").fetchone()[0] >= 2
        denied(transformer, "insert into raw.hubspot__contacts values ('999', '{}', 9)")


# --- analyst -------------------------------------------------------------------------------------------------


def test_analyst_cannot_read_raw_personal_data_but_reads_the_rest(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with login(secured_url, roles.ANALYST, role_passwords) as analyst:
        assert "permission denied" in denied(analyst, "select * from raw.hubspot__contacts")
        assert analyst.execute("select count(*) from raw.google_ads__campaign_daily").fetchone() == (1,)
        denied(analyst, "select email from staging.stg_hubspot__contacts")
        denied(analyst, "select * from staging.stg_hubspot__contacts")
        denied(analyst, "select first_name from staging.stg_hubspot__contacts")
        stages = analyst.execute("select contact_id, lifecycle_stage from staging.stg_hubspot__contacts").fetchall()
        assert sorted(stages)[:2] == [("101", "lead"), ("102", "customer")]
        denied(analyst, "select person_key from intermediate.int_people")
        assert analyst.execute("select count(first_contact_id) from intermediate.int_people").fetchone()[0] >= 2
        assert analyst.execute("select count(*) from glossary.glossary_channel_rules").fetchone() == (1,)
        assert analyst.execute("select count(*) from marts.weekly_review").fetchone() == (1,)
        denied(analyst, "select row from audit.quarantine")
        denied(analyst, "select sample from audit.contract_results")
        assert analyst.execute("select count(contract) from audit.contract_results").fetchone()[0] >= 1


def test_a_new_raw_table_opens_to_the_analyst_at_the_next_publish_unless_it_holds_pii(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        admin.execute("create table raw.meta_ads__campaign_daily (record_id text, record jsonb)")
        admin.execute("create table raw.hubspot__owners (record_id text, record jsonb)")
        with login(secured_url, roles.ANALYST, role_passwords) as analyst:
            denied(analyst, "select * from raw.meta_ads__campaign_daily")  # closed until checked against the list
        with login(secured_url, roles.TRANSFORMER, role_passwords) as transformer:
            transformer.execute("drop schema if exists build_staging, build_glossary, build_intermediate cascade")
            transformer.execute("drop schema if exists build_marts cascade")
            build_night(transformer, 3)
        publish(admin)
    with login(secured_url, roles.ANALYST, role_passwords) as analyst:
        assert analyst.execute("select count(*) from raw.meta_ads__campaign_daily").fetchone() == (0,)
        denied(analyst, "select * from raw.hubspot__owners")


def test_analyst_builds_in_a_dev_schema_but_cannot_create_build_schemas(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        created = roles.create_dev_schemas(admin, "alice")
        layers = ("staging", "glossary", "intermediate", "marts")
        assert created == ["dev_alice", *(f"dev_alice_{layer}" for layer in layers)]
        assert roles.create_dev_schemas(admin, "alice") == created  # again: nothing new, no error
        with pytest.raises(roles.RoleSetupError, match="lower case"):
            roles.create_dev_schemas(admin, "Alice; drop")
    with login(secured_url, roles.ANALYST, role_passwords) as analyst:
        analyst.execute("create table dev_alice_marts.my_review as select * from marts.weekly_review")
        assert analyst.execute("select count(*) from dev_alice_marts.my_review").fetchone() == (1,)
        denied(analyst, "create schema build_marts")  # it could otherwise plant tables for publish to swap in
        denied(analyst, "create table marts.analyst_table (id int)")


# --- the bootstrap -------------------------------------------------------------------------------------------


def test_the_bootstrap_is_idempotent(secured_url: str, role_passwords: dict[str, str]) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        before = grants_snapshot(admin)
        roles.bootstrap(admin, role_passwords)
        roles.bootstrap(admin, {})
        assert grants_snapshot(admin) == before
        assert ("schema", "marts") in {row[:2] for row in before}


def test_passwords_are_stored_as_scram_verifiers(secured_url: str, role_passwords: dict[str, str]) -> None:
    with psycopg.connect(secured_url, autocommit=True) as admin:
        stored = dict(
            admin.execute("select rolname, rolpassword from pg_authid where rolname = any(%s)", (list(roles.ROLES),))
        )
    for role, password in role_passwords.items():
        assert stored[role].startswith("SCRAM-SHA-256$")
        assert password not in stored[role]


def test_passwords_come_from_smarketing_role_password_variables() -> None:
    environ = {"SMARKETING_BI_PASSWORD": "s3cret", "SMARKETING_LOADER_PASSWORD": "  ", "OTHER": "x"}
    assert roles.passwords_from_env(environ) == {roles.BI: "s3cret"}


def test_a_user_that_may_not_create_roles_is_told_how_to_run_the_bootstrap(
    secured_url: str, role_passwords: dict[str, str]
) -> None:
    with (
        login(secured_url, roles.ANALYST, role_passwords) as analyst,
        pytest.raises(roles.RoleSetupError, match="superuser or a user with CREATEROLE"),
    ):
        roles.bootstrap(analyst)


def test_the_command_line_bootstraps_the_warehouse_url(
    secured_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WAREHOUSE_URL", secured_url)
    for role in roles.ROLES:
        monkeypatch.delenv(roles.password_variable(role), raising=False)
    assert roles.main([]) == 0
    assert "roles ready" in capsys.readouterr().out
    monkeypatch.setenv("WAREHOUSE_URL", "mysql://nowhere/db")
    assert roles.main(["bootstrap"]) == 2
    assert "WAREHOUSE_URL must look like" in capsys.readouterr().err
