"""Incremental nights: a night that carries the incremental tables over (the HubSpot staging models and the
facts over them), copied from the published build or moved from the generation before it, and rebuilds only
what changed builds exactly what a full build of the same raw data builds, and code changes or backfills make
the night build in full instead."""

from __future__ import annotations

import datetime
import itertools
import json
import shutil
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from sandbox.launcher import running_sandbox
from tests.conftest import SANDBOX_TOKEN, extract_sources
from warehouse import config, incremental, nightly
from warehouse.dbt import DbtError, run_dbt, target_dir
from warehouse.publish import BUILD_PREFIX, publish

SEED, SCALE = 5, 300
# The sandbox's story ends on 2026-03-30: both nights see all of it, and the planted versions below.
NIGHT_1 = "2026-04-01T00:00:00+00:00"
NIGHT_2 = "2026-04-02T00:00:00+00:00"
BETWEEN_NIGHTS = "2026-04-01T12:00:00+00:00"
BETWEEN_NIGHT_2_AND_3 = "2026-04-02T12:00:00+00:00"
AFTER_NIGHT_2 = "2026-04-03T00:00:00+00:00"


# Every incremental model and what it reads (seeds included), without data tests: the nights compare tables.
NIGHT_SELECTION = (
    "path:models/staging/hubspot",
    "+int_touch_points",
    "+int_lifecycle_stage_entries",
    "+int_contacts_joined_to_companies",
    "+int_conversions_attributed",
    "+int_people",
)
LAYERS = ("staging", "glossary", "intermediate")


def build_night(as_of: str) -> nightly.BuildPlan:
    """One night: prepare the build schemas (carrying what may be carried), build the incremental models."""
    plan = nightly.prepare_build(as_of)
    no_tests = ("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    run_dbt("build", "--select", *NIGHT_SELECTION, *no_tests, as_of=as_of)
    return plan


def build_full_night(as_of: str) -> nightly.BuildPlan:
    """The same night with SMARKETING_INCREMENTAL=off: nothing carried, every table built in full."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SMARKETING_INCREMENTAL", "off")
        return build_night(as_of)


def incremental_rows(url: str) -> dict[str, list[dict[str, object]]]:
    """Every incremental table of the build, sorted, without the bookkeeping columns."""
    tables = {}
    with psycopg.connect(url) as conn:
        for model in incremental.incremental_models():
            schema = BUILD_PREFIX + model.layer
            listed = incremental.data_columns(conn, schema, model.name).as_string(conn)
            rows = conn.cursor(row_factory=dict_row).execute(f"select {listed} from {schema}.{model.name}").fetchall()
            tables[model.name] = sorted(rows, key=repr)
    return tables


def new_batch(conn: psycopg.Connection, table: str, *, finished: bool = True) -> int:
    source, _, stream = table.partition("__")
    finished_at = "clock_timestamp()" if finished else "null"
    return conn.execute(
        f"insert into raw._batches (source, stream, status, finished_at) values (%s, %s, %s, {finished_at})"
        " returning batch_id",
        (source, stream, "succeeded" if finished else "running"),
    ).fetchone()[0]


def add_version(
    conn: psycopg.Connection, table: str, record_id: str, batch_id: int, changes: dict, cursor: str | None = "keep"
) -> None:
    """A new version of a record: its latest version with `changes` merged in (top level), at `cursor`."""
    record, old_cursor, is_deleted = conn.execute(
        f"select record, cursor_value, is_deleted from raw.{table} where record_id = %s"
        " order by cursor_value desc nulls last, batch_id desc limit 1",
        (record_id,),
    ).fetchone()
    new_cursor = old_cursor if cursor == "keep" else cursor
    if new_cursor != old_cursor and "properties" in record:
        record["updatedAt"] = str(new_cursor).replace("+00:00", "Z")
    for key, value in changes.items():
        record[key] = {**record[key], **value} if isinstance(value, dict) and key in record else value
    conn.execute(
        f"insert into raw.{table} (record_id, cursor_value, record, is_deleted, batch_id) values (%s, %s, %s, %s, %s)",
        (record_id, new_cursor, Jsonb(record), changes.get("archived", is_deleted), batch_id),
    )


def rows_built_before(url: str, instant: object) -> dict[str, int]:
    """Rows of each incremental table of the build that an earlier night built (`_transformed_at`)."""
    with psycopg.connect(url) as conn:
        return {
            model.name: conn.execute(
                f"select count(*) from {BUILD_PREFIX}{model.layer}.{model.name} where _transformed_at < %s",
                (instant,),
            ).fetchone()[0]
            for model in incremental.incremental_models()
        }


def touched_contacts(conn: psycopg.Connection, but: list[str]) -> list[tuple[str, str]]:
    """(id, email) of the contacts with UTM history (touch points), but those in `but`."""
    return conn.execute(
        "select record_id, record #>> '{properties,email}' from raw.hubspot__contacts"
        " where jsonb_array_length(coalesce(record #> '{propertiesWithHistory,utm_source}', '[]')) > 0"
        " and record #>> '{properties,email}' is not null and not (record_id = any(%s)) order by record_id",
        (but,),
    ).fetchall()


def hold_back_a_touched_campaign(conn: psycopg.Connection) -> str:
    """A Google Ads campaign some contact's utm_campaign named, whose delivery rows are moved out of raw (into
    public.held_back_campaign_days) until the platform "reports" it."""
    campaign = conn.execute(
        "select days.record #>> '{campaign,id}' from raw.google_ads__campaign_daily as days"
        " where days.record #>> '{campaign,id}' in ("
        "   select history.value ->> 'value' from raw.hubspot__contacts as contacts,"
        "   jsonb_array_elements(contacts.record #> '{propertiesWithHistory,utm_campaign}') as history"
        " ) order by 1 limit 1"
    ).fetchone()[0]
    held_back = "from raw.google_ads__campaign_daily where record #>> '{campaign,id}' = %s"
    conn.execute(f"create table public.held_back_campaign_days as select * {held_back}", (campaign,))
    conn.execute(f"delete {held_back}", (campaign,))
    return campaign


@pytest.fixture(scope="module")
def nights(pipeline_env: dict[str, str]) -> dict[str, object]:
    """Raw data from the sandbox, night 1 published, the changes of the day, night 2 built incrementally."""
    url = pipeline_env["WAREHOUSE_URL"]
    with running_sandbox(["--token", SANDBOX_TOKEN, "--seed", str(SEED), "--scale", str(SCALE)]) as sandbox:
        extract_sources(sandbox.url)

    with psycopg.connect(url, autocommit=True) as conn:
        contacts = [row[0] for row in conn.execute("select distinct record_id from raw.hubspot__contacts order by 1")]
        late, stuck, archived, restaged = contacts[:4]
        (mover, _), host = next(
            (first, second)
            for first, second in itertools.pairwise(touched_contacts(conn, contacts[:4]))
            if first[1] != second[1]
        )
        # Two contacts with one company each, neither changed otherwise.
        (with_company, _), (company_contact, company) = conn.execute(
            "select record_id, record #>> '{to,0,toObjectId}' from raw.hubspot__contacts_to_companies"
            " where jsonb_array_length(record -> 'to') = 1 and not (record_id = any(%s)) order by record_id limit 2",
            ([*contacts[:4], mover, host[0]],),
        ).fetchall()
        industry = conn.execute(
            "select record #>> '{properties,industry}' from raw.hubspot__companies where record_id = %s", (company,)
        ).fetchone()[0]
        new_industry, new_group = (
            ("COMPUTER_SOFTWARE", "technology")
            if industry == "FINANCIAL_SERVICES"
            else ("FINANCIAL_SERVICES", "financial_services")
        )
        campaign = hold_back_a_touched_campaign(conn)
        # Two more contacts made one person for night 1: the splitter takes its partner's email.
        (splitter, _), (_, partner_email) = conn.execute(
            "select record_id, email from (select distinct on (record_id) record_id, is_deleted,"
            " record #>> '{properties,email}' as email from raw.hubspot__contacts"
            " order by record_id, cursor_value desc nulls last, batch_id desc) as latest"
            " where not is_deleted and email is not null and not (record_id = any(%s)) order by record_id desc limit 2",
            ([*contacts[:4], mover, host[0], with_company, company_contact],),
        ).fetchall()
        add_version(
            conn,
            "hubspot__contacts",
            splitter,
            new_batch(conn, "hubspot__contacts"),
            {"properties": {"email": partner_email}},
        )
        split_email = f"split-{splitter}@example.com"
        # Loaded before night 1 but modified after its as_of: night 1 must not see it, night 2 must.
        add_version(
            conn,
            "hubspot__contacts",
            late,
            new_batch(conn, "hubspot__contacts"),
            {"properties": {"jobtitle": "Chief Late Officer"}},
            cursor=BETWEEN_NIGHTS,
        )
        # A batch still loading during night 1, whose rows land after it (an old cursor: archiving may not move it).
        running = new_batch(conn, "hubspot__contacts", finished=False)

    night_1 = build_night(NIGHT_1)
    with psycopg.connect(url, autocommit=True) as conn:
        publish(conn, LAYERS)
        # A won deal credited to touch points, whose amount doubles: its credited revenue follows.
        won_deal = conn.execute(
            "select min(substr(conversion_id, length('won_deal:') + 1)) from intermediate.int_conversions_attributed"
            " where conversion_type = 'won_deal'"
        ).fetchone()[0]
        amount = conn.execute(
            "select record #>> '{properties,amount}' from raw.hubspot__deals where record_id = %s"
            " order by cursor_value desc nulls last, batch_id desc limit 1",
            (won_deal,),
        ).fetchone()[0]
        add_version(
            conn,
            "hubspot__deals",
            won_deal,
            new_batch(conn, "hubspot__deals"),
            {"properties": {"amount": str(2 * float(amount))}},
            cursor=BETWEEN_NIGHTS,
        )
        add_version(conn, "hubspot__contacts", stuck, running, {"archived": True})
        conn.execute(
            "update raw._batches set status = 'succeeded', finished_at = clock_timestamp() where batch_id = %s",
            (running,),
        )
        batch = new_batch(conn, "hubspot__contacts")
        add_version(
            conn,
            "hubspot__contacts",
            restaged,
            batch,
            {"properties": {"lifecyclestage": "customer", "hubspotscore": "99"}},
            cursor=BETWEEN_NIGHTS,
        )
        add_version(conn, "hubspot__contacts", archived, batch, {"archived": True}, cursor=BETWEEN_NIGHTS)
        # A contact's email changed to another person's: it leaves its person for theirs, touch points and all.
        add_version(conn, "hubspot__contacts", mover, batch, {"properties": {"email": host[1]}}, cursor=BETWEEN_NIGHTS)
        # The splitter gets an email of its own again: it leaves a person that stays (its partner's).
        add_version(
            conn, "hubspot__contacts", splitter, batch, {"properties": {"email": split_email}}, cursor=BETWEEN_NIGHTS
        )
        # A company moved to another industry: its contacts' industry group follows.
        add_version(
            conn,
            "hubspot__companies",
            company,
            new_batch(conn, "hubspot__companies"),
            {"properties": {"industry": new_industry}},
            cursor=BETWEEN_NIGHTS,
        )
        # The platform reports the campaign: the touches that named it get its ad platform.
        conn.execute("insert into raw.google_ads__campaign_daily select * from public.held_back_campaign_days")
        # An association removed: the contact's new association record lists no company.
        add_version(
            conn,
            "hubspot__contacts_to_companies",
            with_company,
            new_batch(conn, "hubspot__contacts_to_companies"),
            {"to": []},
            cursor=None,
        )
        # Modified after night 2's as_of: neither build may see it.
        add_version(
            conn,
            "hubspot__contacts",
            restaged,
            batch,
            {"properties": {"lifecyclestage": "other"}},
            cursor=AFTER_NIGHT_2,
        )

    with psycopg.connect(url) as conn:
        before_night_2 = conn.execute("select clock_timestamp()").fetchone()[0]
    night_2 = build_night(NIGHT_2)
    night_2_rows = incremental_rows(url)
    night_2_kept = rows_built_before(url, before_night_2)
    full = build_full_night(NIGHT_2)
    return {
        "url": url,
        "kept": (night_2_kept, rows_built_before(url, before_night_2)),
        "carried": (night_1.carried, night_2.carried, full.carried),
        "moved": (night_1.moved, night_2.moved, full.moved),
        "incremental": night_2_rows,
        "full": incremental_rows(url),
        "contacts": {"late": late, "stuck": stuck, "archived": archived, "restaged": restaged},
        "with_company": with_company,
        "mover": mover,
        "host": host[0],
        "campaign": campaign,
        "company_contact": company_contact,
        "industry_group": new_group,
        "won_deal": won_deal,
        "splitter": splitter,
    }


def test_night_two_carries_every_incremental_table_and_builds_what_a_full_build_builds(nights) -> None:
    night_1, night_2, full = nights["carried"]
    models = sorted(model.name for model in incremental.incremental_models())
    assert len(models) == 16  # 7 staging models, 9 facts
    assert night_1 == []  # nothing was published yet
    assert night_2 == models
    assert nights["moved"][1] == []  # copied: one build published so far, no generation before it
    assert full == []  # SMARKETING_INCREMENTAL=off
    for name in models:
        assert nights["incremental"][name] == nights["full"][name], name
        assert nights["full"][name], name
    kept_incrementally, kept_by_full_build = nights["kept"]
    assert all(kept_incrementally[name] > 0 for name in models), kept_incrementally  # not rebuilt in full
    assert all(kept_by_full_build[name] == 0 for name in models), kept_by_full_build


def contacts_in(conn: psycopg.Connection, schema: str, ids: list[str]) -> dict[str, tuple]:
    return {
        row[0]: row[1:]
        for row in conn.execute(
            "select contact_id, job_title, lifecycle_stage, lead_score, is_archived"
            f" from {schema}.stg_hubspot__contacts where contact_id = any(%s)",
            (ids,),
        )
    }


def company_associations(conn: psycopg.Connection, schema: str, contact_id: str) -> int:
    return conn.execute(
        f"select count(*) from {schema}.stg_hubspot__associations"
        " where from_object_type = 'contact' and to_object_type = 'company' and from_object_id = %s",
        (contact_id,),
    ).fetchone()[0]


def test_the_changes_between_the_nights_are_in_night_two_and_not_in_night_one(nights) -> None:
    """The planted changes really changed something (the equality above would hold for no-op changes too)."""
    people = nights["contacts"]
    ids = list(people.values())
    with psycopg.connect(nights["url"]) as conn:
        night_1 = contacts_in(conn, "staging", ids)  # published
        night_2 = contacts_in(conn, BUILD_PREFIX + "staging", ids)  # built (in full, equal to the incremental)
        assert company_associations(conn, "staging", nights["with_company"]) > 0
        assert company_associations(conn, BUILD_PREFIX + "staging", nights["with_company"]) == 0

    assert night_1[people["late"]][0] != "Chief Late Officer"  # modified after night 1's as_of
    assert night_2[people["late"]][0] == "Chief Late Officer"
    assert night_1[people["stuck"]][3] is False and night_2[people["stuck"]][3] is True  # landed after night 1
    assert night_1[people["archived"]][3] is False and night_2[people["archived"]][3] is True
    assert night_2[people["restaged"]][1:3] == ("customer", 99)  # not "other": that version is after night 2


def touch_points_of(conn: psycopg.Connection, layer: str, column: str, value: str) -> list[tuple]:
    return conn.execute(
        f"select person_key, touch_number, ad_platform from {layer}.int_touch_points where {column} = %s",
        (value,),
    ).fetchall()


def touch_numbers(touch_points: list[tuple]) -> list[int]:
    return sorted(number for _, number, _ in touch_points)


def person_of(conn: psycopg.Connection, layer: str, contact_id: str) -> str | None:
    row = conn.execute(
        f"select person_key from {layer}.int_contacts_with_channel where contact_id = %s", (contact_id,)
    ).fetchone()
    return row and row[0]


def test_the_facts_follow_contacts_to_other_people_companies_and_campaigns(nights) -> None:
    """What night 2 rebuilt in the facts beyond the changed contacts' own rows: the person a contact left and
    the one it joined (touch numbers run across the merged person), the contacts of a company that changed
    and of an association removed, and the touches of a campaign the ad platform reported only after night 1."""
    mover, host, campaign = nights["mover"], nights["host"], nights["campaign"]
    built = BUILD_PREFIX + "intermediate"
    with psycopg.connect(nights["url"]) as conn:
        old_person, host_person = person_of(conn, "intermediate", mover), person_of(conn, "intermediate", host)
        assert old_person != host_person
        assert person_of(conn, built, mover) == host_person
        mover_touches = len(touch_points_of(conn, "intermediate", "contact_id", mover))
        left = touch_points_of(conn, built, "person_key", old_person)
        joined = touch_points_of(conn, built, "person_key", host_person)
        assert mover_touches > 0
        assert touch_numbers(left) == list(
            range(1, len(touch_points_of(conn, "intermediate", "person_key", old_person)) - mover_touches + 1)
        )
        assert touch_numbers(joined) == list(
            range(1, len(touch_points_of(conn, "intermediate", "person_key", host_person)) + mover_touches + 1)
        )
        assert person_of(conn, built, nights["contacts"]["archived"]) is None
        assert person_of(conn, "intermediate", nights["contacts"]["archived"]) is not None
        industry, removed = (
            {
                layer: conn.execute(
                    f"select company_id, industry_group from {layer}.int_contacts_joined_to_companies"
                    " where contact_id = %s",
                    (contact,),
                ).fetchone()
                for layer in ("intermediate", built)
            }
            for contact in (nights["company_contact"], nights["with_company"])
        )

        before = touch_points_of(conn, "intermediate", "campaign_id", campaign)
        after = touch_points_of(conn, built, "campaign_id", campaign)
    assert before and {platform for _, _, platform in before} == {None}
    assert len(after) == len(before) and {platform for _, _, platform in after} == {"google_ads"}
    assert industry["intermediate"][1] != nights["industry_group"] and industry[built][1] == nights["industry_group"]
    assert removed["intermediate"][0] is not None and removed[built][0] is None  # its association was removed


def test_a_person_a_contact_left_is_rebuilt_though_none_of_its_contacts_changed(nights) -> None:
    """The person the splitter left keeps its partner, who did not change: only int_contact_person_keys still
    knew the splitter was theirs, and night 2's people fact follows it."""
    splitter = nights["splitter"]
    with psycopg.connect(nights["url"]) as conn:
        left = person_of(conn, "intermediate", splitter)  # night 1, published
        published = conn.execute("select contact_count from intermediate.int_people where person_key = %s", (left,))
        published_count = published.fetchone()[0]
    night_2 = {row["person_key"]: row for row in nights["incremental"]["int_people"]}
    assert published_count == 2
    assert night_2[left]["contact_count"] == 1
    assert night_2[left]["first_contact_id"] != splitter
    assert f"split-{splitter}@example.com" in night_2


def test_attribution_follows_a_deal_whose_amount_changed(nights) -> None:
    """Only the deal changed, not its person's contacts or touch points: night 2's attribution fact still
    rebuilds its person, whose credited revenue follows the new amount under every model."""
    conversion = "won_deal:" + nights["won_deal"]
    with psycopg.connect(nights["url"]) as conn:
        published, built = (
            conn.execute(
                f"select revenue from {layer}.int_conversions where conversion_id = %s", (conversion,)
            ).fetchone()[0]
            for layer in ("intermediate", BUILD_PREFIX + "intermediate")
        )
        credited_night_1 = dict(
            conn.execute(
                "select attribution_model, sum(attributed_revenue) from intermediate.int_conversions_attributed"
                " where conversion_id = %s group by attribution_model",
                (conversion,),
            ).fetchall()
        )
    credited_night_2: dict[str, object] = {}
    for row in nights["incremental"]["int_conversions_attributed"]:
        if row["conversion_id"] == conversion:
            model = row["attribution_model"]
            credited_night_2[model] = credited_night_2.get(model, 0) + row["attributed_revenue"]
    assert built > published
    assert len(credited_night_1) == 5 and set(credited_night_1.values()) == {published}
    assert credited_night_2.keys() == credited_night_1.keys() and set(credited_night_2.values()) == {built}


def table_oids(conn: psycopg.Connection, schema_prefix: str) -> dict[str, int]:
    """{table: oid} of the incremental tables in the `<schema_prefix><layer>` schemas."""
    return dict(
        conn.execute(
            "select relname, pg_class.oid::int from pg_class join pg_namespace on pg_namespace.oid = relnamespace"
            " where relkind = 'r' and nspname = any(%s) and relname = any(%s)",
            (
                [schema_prefix + layer for layer in LAYERS],
                [model.name for model in incremental.incremental_models()],
            ),
        ).fetchall()
    )


def build_indexes(conn: psycopg.Connection) -> dict[str, int]:
    """{table: how many indexes} in the build schemas."""
    return dict(
        conn.execute(
            "select tablename, count(*)::int from pg_indexes where schemaname like 'build\\_%%' group by 1"
        ).fetchall()
    )


def test_a_night_moves_the_generation_before_the_published_one_and_catches_up_on_two_days(nights) -> None:
    """Publishing night 2 (its full build) keeps night 1's incremental tables as the previous generation. Night 3
    moves them into its build instead of copying (the same tables, indexes and all) and catches up on both
    days' changes: it builds what a full build builds. A generation is used once: the night after (as after a
    broken night, whose build is never published) copies the published tables instead, to the same result."""
    url = nights["url"]
    late = nights["contacts"]["late"]
    models = sorted(model.name for model in incremental.incremental_models())
    with psycopg.connect(url, autocommit=True) as conn:
        publish(conn, LAYERS)
        kept = table_oids(conn, incremental.PREVIOUS_PREFIX)
        as_of = conn.execute("select distinct as_of from previous_staging._incremental_state").fetchall()
        add_version(
            conn,
            "hubspot__contacts",
            late,
            new_batch(conn, "hubspot__contacts"),
            {"properties": {"jobtitle": "Chief Day Three Officer"}},
            cursor=BETWEEN_NIGHT_2_AND_3,
        )
    assert sorted(kept) == models and as_of == [(datetime.datetime.fromisoformat(NIGHT_1),)]

    night_3 = build_night(AFTER_NIGHT_2)
    with psycopg.connect(url) as conn:
        assert table_oids(conn, BUILD_PREFIX) == kept  # moved, not copied
        moved_indexes = build_indexes(conn)
        assert not table_oids(conn, incremental.PREVIOUS_PREFIX)  # used once
    moved_rows = incremental_rows(url)
    assert sorted(night_3.moved) == night_3.carried == models
    assert all(moved_indexes.get(name, 0) >= 2 for name in models), moved_indexes  # the key and a watermark
    after_a_broken_night = build_night(AFTER_NIGHT_2)
    copied_rows = incremental_rows(url)
    with psycopg.connect(url) as conn:
        assert build_indexes(conn) == moved_indexes  # a copy gets them again
    build_full_night(AFTER_NIGHT_2)
    full_rows = incremental_rows(url)

    assert after_a_broken_night.moved == [] and after_a_broken_night.carried == models
    for name in models:
        assert moved_rows[name] == full_rows[name], name
        assert copied_rows[name] == full_rows[name], name
    (late_row,) = [row for row in moved_rows["stg_hubspot__contacts"] if row["contact_id"] == late]
    assert late_row["job_title"] == "Chief Day Three Officer"
    restaged = nights["contacts"]["restaged"]
    (restaged_row,) = [row for row in moved_rows["stg_hubspot__contacts"] if row["contact_id"] == restaged]
    assert restaged_row["lifecycle_stage"] == "other"  # the version after night 2 is in night 3's view
    splitter = {row["person_key"] for row in moved_rows["int_people"]}
    assert f"split-{nights['splitter']}@example.com" in splitter  # a change of day 2, which night 1 never saw


def test_a_changed_macro_or_an_earlier_as_of_builds_in_full(nights, tmp_path: Path) -> None:
    url = nights["url"]
    models = incremental.incremental_models()
    project = tmp_path / "dbt_project"
    shutil.copytree(config.DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    assert [model.fingerprint for model in incremental.incremental_models(project)] == [m.fingerprint for m in models]
    seed = project / "seeds" / "glossary" / "glossary_channel_rules.csv"
    seed.write_text(seed.read_text() + "\n")
    reseeded = incremental.incremental_models(project)
    assert [new.name for new, old in zip(reseeded, models, strict=True) if new.fingerprint != old.fingerprint] == [
        "int_contact_person_keys",
        "int_contacts_joined_to_companies",
        "int_contacts_with_channel",
        "int_conversions_attributed",
        "int_lifecycle_stage_entries",
        "int_mql_entries",
        "int_people",
        "int_people_stage_passages",
        "int_touch_points",
    ]  # a definition changed: the facts apply it, the staging models do not
    sources = project / "models" / "staging" / "hubspot" / "_hubspot__sources.yml"
    sources.write_text(sources.read_text() + "\n")  # where the staging models read from
    resourced = incremental.incremental_models(project)
    assert all(new.fingerprint != old.fingerprint for new, old in zip(resourced, reseeded, strict=True))
    macro = project / "macros" / "hubspot_properties.sql"
    macro.write_text(macro.read_text().replace("nullif(", "nullif( "))
    edited = incremental.incremental_models(project)
    assert all(new.fingerprint != old.fingerprint for new, old in zip(edited, models, strict=True))

    night_3 = datetime.datetime.fromisoformat(AFTER_NIGHT_2)
    with psycopg.connect(url, autocommit=True) as conn:
        publish(conn, LAYERS)  # night 3 (the last build of the test above) is now the published one
        # The generation before it (night 2's) as if built by other code (a staging model) and as of a later
        # night (the facts): a layer it does not hold under the same code and as_of is copied instead.
        conn.execute(
            "update previous_staging._incremental_state set fingerprint = 'other code'"
            " where model = 'stg_hubspot__contacts'"
        )
        conn.execute(
            "update previous_intermediate._incremental_state set as_of = %s", (night_3 + datetime.timedelta(hours=1),)
        )
        nightly.drop_build_schemas()
        carried = incremental.carry_into_build(url, night_3, BUILD_PREFIX, models)
        assert carried.moved == [] and carried.tables == sorted(m.name for m in models)
        nightly.drop_build_schemas()
        assert incremental.carry_into_build(url, night_3, BUILD_PREFIX, edited).tables == []
        nightly.drop_build_schemas()
        earlier = night_3 - datetime.timedelta(hours=1)
        assert incremental.carry_into_build(url, earlier, BUILD_PREFIX, models).tables == []  # a backfill
        nightly.drop_build_schemas()
        carried = incremental.carry_into_build(url, night_3, BUILD_PREFIX, models)
        assert carried.tables == sorted(m.name for m in models)
        assert carried.moved == []  # the generation before the published one was dropped by the first night


def test_data_tests_of_a_carried_table_check_the_rows_the_night_rebuilt(nights) -> None:
    """On an incremental night a row-level data test sees the rows rebuilt that night: a null in a rebuilt row
    fails it, while a row carried over (tested the night it was built; here broken behind dbt's back) is not
    looked at again."""
    url = nights["url"]
    history = f"{BUILD_PREFIX}staging.stg_hubspot__contact_property_history"
    with psycopg.connect(url, autocommit=True) as conn:
        # Published: night 2 in full (the test above published it).
        changed, kept = conn.execute(
            "select record_id from raw.hubspot__contacts where not is_deleted order by record_id desc limit 2"
        ).fetchall()
        batch = new_batch(conn, "hubspot__contacts")
        no_timestamp = {"propertiesWithHistory": {"jobtitle": [{"value": "Untimed", "sourceType": "CRM_UI"}]}}
        add_version(conn, "hubspot__contacts", changed[0], batch, no_timestamp, cursor=BETWEEN_NIGHT_2_AND_3)
    assert build_night(AFTER_NIGHT_2).carried != []  # carried, then rebuilt incrementally
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"update {history} set changed_at = null"
            f" where ctid = (select ctid from {history} where contact_id = %s limit 1)",
            (kept[0],),
        )
    with pytest.raises(DbtError):
        run_dbt("test", "--select", "stg_hubspot__contact_property_history", as_of=AFTER_NIGHT_2)
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    failures = {r["unique_id"].split(".")[2]: r["failures"] for r in results if r["status"] == "fail"}
    assert failures == {"not_null_stg_hubspot__contact_property_history_changed_at": 1}
    compiled = target_dir() / "compiled" / "smarketing" / "models" / "staging" / "hubspot" / "_hubspot__models.yml"
    (uniqueness,) = [path.read_text() for path in compiled.glob("unique_combination_*.sql")]  # name hashed
    assert "where contact_id in (select contact_id from" in uniqueness  # every row of the rebuilt contacts
    assert "union all select" in uniqueness and "where contact_id is null" in uniqueness  # and of none
    assert "::timestamptz" in uniqueness and "recorded_at" not in uniqueness  # the night's start, as a literal


def test_a_uniqueness_test_of_a_carried_table_sees_every_row_sharing_a_value_with_a_rebuilt_one(nights) -> None:
    """int_touch_points is rebuilt per person and tested unique on touch_id: a carried row given the touch_id of
    a row the night rebuilt fails the test, while two carried rows made to share one (behind dbt's back: a table
    that passed the test never holds them) are not looked at again."""
    url = nights["url"]
    touch_points = f"{BUILD_PREFIX}intermediate.int_touch_points"
    with psycopg.connect(url, autocommit=True) as conn:
        contact, _ = touched_contacts(conn, but=[])[-1]
        batch = new_batch(conn, "hubspot__contacts")
        add_version(
            conn, "hubspot__contacts", contact, batch, {"properties": {"jobtitle": "CMO"}}, BETWEEN_NIGHT_2_AND_3
        )
    assert build_night(AFTER_NIGHT_2).carried != []
    with psycopg.connect(url, autocommit=True) as conn:
        (night_started,) = conn.execute(
            f"select max(recorded_at) from {BUILD_PREFIX}intermediate._incremental_state"
        ).fetchone()
        (rebuilt,) = conn.execute(
            f"select touch_id from {touch_points} where _transformed_at >= %s order by touch_id limit 1",
            (night_started,),
        ).fetchone()
        first, second, third = (
            row[0]
            for row in conn.execute(
                f"select touch_id from {touch_points} where _transformed_at < %s order by touch_id limit 3",
                (night_started,),
            )
        )
        retag = f"update {touch_points} set touch_id = %s where touch_id = %s"
        conn.execute(retag, (rebuilt, first))
        conn.execute(retag, (second, third))
    with pytest.raises(DbtError):
        run_dbt("test", "--select", "int_touch_points", as_of=AFTER_NIGHT_2)
    results = json.loads((target_dir() / "run_results.json").read_text())["results"]
    failures = {r["unique_id"].split(".")[2]: r["failures"] for r in results if r["status"] == "fail"}
    assert failures == {"unique_int_touch_points_touch_id": 1}  # the rebuilt touch_id, not the carried pair


def test_the_unit_tests_run_once_per_version_of_the_code(nights) -> None:
    """Night 1 (published) recorded the project's fingerprint: the same code skips the unit tests, other code
    or a night that carries nothing runs them, and so does a warehouse with nothing published."""
    night_2 = datetime.datetime.fromisoformat(NIGHT_2)
    same = incremental.project_fingerprint()
    with psycopg.connect(nights["url"], autocommit=True) as conn:
        decisions = []
        for fingerprint, carry in ((same, True), ("other code", True), (same, False)):
            nightly.drop_build_schemas()
            decisions.append(incremental.record_project(conn, night_2, BUILD_PREFIX, fingerprint, carry=carry))
        assert decisions == [False, True, True]
        recorded = conn.execute(
            f"select fingerprint from {BUILD_PREFIX}staging._incremental_state where model = %s",
            (incremental.PROJECT_STATE,),
        ).fetchall()
        assert recorded == [(same,)]
        conn.execute("drop schema staging cascade")
        nightly.drop_build_schemas()
        assert nightly.prepare_build(NIGHT_2).unit_tests is True  # nothing published
