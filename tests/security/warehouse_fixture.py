"""Helpers of the security tests: a small warehouse like the pipeline's, logging in as a role, a grants snapshot.

No dbt and no Airflow: the tables mimic what the extractors, dbt and the contracts create (same schemas, same
personal-data columns), which is all the grants look at. Each role logs in with a password set by the bootstrap
(the embedded server trusts loopback, a server given by WAREHOUSE_URL checks it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg

from warehouse import roles

RAW_DDL = """
create schema if not exists raw;
create table raw.hubspot__contacts (record_id text not null, record jsonb not null, batch_id bigint not null);
create table raw.google_ads__campaign_daily (record_id text not null, record jsonb not null, batch_id bigint not null);
create table raw._batches (batch_id bigint generated always as identity primary key, source text, records bigint);
insert into raw.hubspot__contacts values
    ('101', '{"properties": {"email": "ada@example.com", "firstname": "Ada", "lifecyclestage": "lead"}}', 1),
    ('102', '{"properties": {"email": "bob@example.com", "firstname": "Bob", "lifecyclestage": "customer"}}', 1);
insert into raw.google_ads__campaign_daily values ('c1', '{"spend": 12.5}', 2);
create schema if not exists audit;
create table audit.contract_results (id bigint generated always as identity, contract text, success boolean,
    sample jsonb);
create table audit.quarantine (id bigint generated always as identity, contract text, row jsonb);
insert into audit.contract_results (contract, success, sample)
    values ('crm_to_warehouse', false, '["ada@example.com"]');
insert into audit.quarantine (contract, row) values ('crm_to_warehouse', '{"email": "ada@example.com"}');
"""

# What dbt builds for one night (night = 1, 2, ...): a staging view over raw with the contact's email and name,
# seeds and the agreed terms in glossary, people keyed by email in intermediate (an incremental table, which
# publish keeps for the next night once retired), a mart without personal data.
NIGHT_DDL = """
create schema build_staging;
create schema build_glossary;
create schema build_intermediate;
create schema build_marts;
create view build_staging.stg_hubspot__contacts as
    select record_id as contact_id, record -> 'properties' ->> 'email' as email,
        record -> 'properties' ->> 'firstname' as first_name,
        record -> 'properties' ->> 'lifecyclestage' as lifecycle_stage
    from raw.hubspot__contacts;
create table build_glossary.glossary_terms as select 'mqls'::text as term, 'Marketing qualified leads'::text as meaning;
create table build_glossary.glossary_channel_rules as select 1 as rule_priority, '%ads%'::text as match_pattern;
create table build_intermediate.int_people as
    select email as person_key, contact_id as first_contact_id, 'paid_search'::text as channel
    from build_staging.stg_hubspot__contacts;
create table build_intermediate._incremental_state (model text primary key, fingerprint text, as_of timestamptz);
insert into build_intermediate._incremental_state values ('int_people', 'code', now());
create table build_marts.weekly_review as
    select date '2026-03-23' as week_start, 'paid_search'::text as channel, count(*)::int as leads,
        {night}::int as night
    from build_intermediate.int_people;
"""


def url_as(url: str, role: str, password: str) -> str:
    """`url` with another user and password."""
    parts = urlsplit(url)
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@contextmanager
def login(url: str, role: str, passwords: dict[str, str]) -> Iterator[psycopg.Connection]:
    """A connection logged in as `role` (autocommit: a denied statement does not poison the next one)."""
    with psycopg.connect(url_as(url, role, passwords[role]), autocommit=True) as conn:
        assert conn.execute("select current_user").fetchone()[0] == role
        yield conn


def build_night(conn: psycopg.Connection, night: int) -> None:
    conn.execute(NIGHT_DDL.format(night=night))


def grants_snapshot(conn: psycopg.Connection) -> list[tuple[object, ...]]:
    """Every privilege, default privilege and role attribute the bootstrap manages, in a stable order."""
    role_names = list(roles.ROLES)
    return conn.execute(
        """
        select 'database', datname, datacl::text from pg_database where datname = current_database()
        union all
        select 'schema', nspname, nspacl::text from pg_namespace where nspname !~ '^(pg_|information_schema)'
        union all
        select 'relation', relnamespace::regnamespace::text || '.' || relname, relacl::text
        from pg_class where relnamespace::regnamespace::text !~ '^(pg_|information_schema)'
        union all
        select 'column', attrelid::regclass::text || '.' || attname, attacl::text
        from pg_attribute where attacl is not null and attrelid::regclass::text !~ '^(pg_|information_schema)'
        union all
        select 'default', defaclrole::regrole::text || ' ' || coalesce(defaclnamespace::regnamespace::text, '')
            || ' ' || defaclobjtype::text, defaclacl::text from pg_default_acl
        union all
        select 'role', rolname, concat_ws(',', rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolinherit)
        from pg_roles where rolname = any(%s)
        order by 1, 2, 3
        """,
        (role_names,),
    ).fetchall()
