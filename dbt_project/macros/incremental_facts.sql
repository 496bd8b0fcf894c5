{#- Incremental facts: the large per-contact and per-person intermediate tables, rebuilt for the keys that
    changed since their last run instead of in full.

    A fact's rows depend on the CRM records of a contact, or of a person (the contacts sharing an email). Every
    change to a contact, its property history included, rebuilds the contact's row of the incremental
    `stg_hubspot__contacts` (macros/incremental_staging.sql), whose `_transformed_at` then moves past the
    fact's own newest `_transformed_at`: those contacts changed since the fact last ran. A fact keyed by
    person also rebuilds the person a changed contact belonged to (its old rows say which) and the one it
    belongs to now. Attribution (further down) compares its inputs with what it credited instead: it rebuilds
    the people whose touch points were rebuilt and those whose conversions differ from the credited ones, so a
    deal's new amount, or a deal a later `as_of` counts as won, reaches it without any contact changing. Each
    model names the macro that selects its changed keys; the keys are collected once per run into a temporary
    table (pre-hook), and strategy `replace_keys` deletes every row of those keys before inserting their
    rebuilt rows, so a key that now yields no rows (an archived contact) loses the old ones.

    A night sees only what its `as_of` lets in, and a contact version that `as_of` lets in carries every
    property change before it (HubSpot moves `lastmodifieddate` with each), so a later `as_of` changes a
    contact-driven fact through the changed contacts only. Definitions are another matter: the pipeline
    carries these tables into the night's build only when no file of the dbt project changed (seeds and every
    model included) and `as_of` did not move back (warehouse/incremental.py); otherwise the night builds them
    in full. -#}

{#- A fact's config: `unique_key` is the column its rows are replaced by (`contact_id` or `person_key`),
    `changed_keys` the name of the macro that selects the keys changed since the fact last ran. -#}
{% macro incremental_fact_config(unique_key, changed_keys) %}
    {{ replacing_incremental_config(
        unique_key, 'replace_keys', '{{ collect_changed_keys(' ~ changed_keys ~ '()) }}'
    ) }}
{% endmacro %}

{#- The temporary table of the keys to rebuild in this run (dropped at commit). -#}
{% macro changed_keys_table() %}{{ this.identifier }}__changed{% endmacro %}

{#- Pre-hook: the changed keys into `changed_keys_table()`; a no-op on a full build. -#}
{% macro collect_changed_keys(changed_keys_sql) %}
    {% if is_incremental() %}
        create temporary table {{ changed_keys_table() }} on commit drop as
        {{ changed_keys_sql }}
    {% else %}
        select 1
    {% endif %}
{% endmacro %}

{#- In a model: restrict a CTE to the changed keys (on an incremental run). -#}
{% macro only_changed_keys(column) %}
    {% if is_incremental() %}
        and {{ column }} in (select changed.changed_key from {{ changed_keys_table() }} as changed)
    {% endif %}
{% endmacro %}

{#- The fact's newest row: staging rows rebuilt after it changed since the fact last ran. -#}
{% macro fact_watermark() %}
    select coalesce(max(facts._transformed_at), '-infinity') from {{ this }} as facts
{% endmacro %}

{#- Contacts (archived ones included) whose staging row was rebuilt after the fact's newest row. -#}
{% macro changed_contacts() %}
    select contacts.contact_id as changed_key
    from {{ ref('stg_hubspot__contacts') }} as contacts
    where contacts._transformed_at > ({{ fact_watermark() }})
{% endmacro %}

{#- The people of the changed contacts, before (the fact's rows) and now (`int_contacts_with_channel`). -#}
{% macro changed_people() %}
    select contacts.person_key as changed_key
    from {{ ref('int_contacts_with_channel') }} as contacts
    where contacts.contact_id in (select changed.changed_key from ({{ changed_contacts() }}) as changed)
    union
    select facts.person_key as changed_key
    from {{ this }} as facts
    where facts.contact_id in (select changed.changed_key from ({{ changed_contacts() }}) as changed)
{% endmacro %}

{#- The people the changed contacts are now and were when `int_contact_person_keys` last ran: the changed
    keys of a person-level fact whose rows keep no contact to find the person a contact left by. -#}
{% macro changed_people_of_changed_contacts() %}
    select distinct people_keys.changed_key
    from {{ ref('int_contact_person_keys') }} as people
    cross join lateral (
        values (people.person_key), (people._previous_person_key)
    ) as people_keys (changed_key)
    where
        people_keys.changed_key is not null
        and people.contact_id in (select changed.changed_key from ({{ changed_contacts() }}) as changed)
{% endmacro %}

{#- Touch points also name the ad platform of their campaign: a campaign the platforms reported for the first
    time changes the touches that named it before. -#}
{% macro changed_touch_point_people() %}
{{ changed_people() }}
    union
    select facts.person_key as changed_key
    from {{ this }} as facts
    left join {{ ref('int_ad_campaigns') }} as ad_campaigns
        on facts.campaign_id = ad_campaigns.campaign_id
    where facts.ad_platform is distinct from ad_campaigns.platform
{% endmacro %}

{#- Attribution credits a person's conversions to their touch points, so a person's rows change when either
    does: the people whose touch points were rebuilt since the fact last ran (a person `int_touch_points`
    rebuilt has all their touches rebuilt), and the people whose attributable conversions (with a touch point
    by then) differ from the ones the fact credited, either way (a conversion gained, lost or changed: its
    time, milestone or revenue). A person left without touch points loses their attributable conversions, so
    the second part finds them too. -#}
{% macro changed_attribution_people() %}
    with

    attributable as (

        -- The conversions with a touch point at or before them, as the fact records them.
        select
            conversions.conversion_id,
            conversions.conversion_type,
            conversions.person_key,
            conversions.converted_at,
            conversions.milestone_at,
            conversions.revenue
        from {{ ref('int_conversions') }} as conversions
        where exists (
            select 1
            from {{ ref('int_touch_points') }} as touch_points
            where
                touch_points.person_key = conversions.person_key
                and touch_points.touched_at <= conversions.converted_at
        )

    ),

    credited as (

        -- The conversions the fact credited, one row each: every model credits exactly one first touch.
        select distinct
            facts.conversion_id,
            facts.conversion_type,
            facts.person_key,
            facts.converted_at,
            facts.milestone_at,
            facts.conversion_revenue
        from {{ this }} as facts
        where facts.is_first_touch

    ),

    differing as (

        (select * from attributable except select * from credited)
        union all
        (select * from credited except select * from attributable)

    )

    select touch_points.person_key as changed_key
    from {{ ref('int_touch_points') }} as touch_points
    where touch_points._transformed_at > ({{ fact_watermark() }})
    union
    select differing.person_key as changed_key
    from differing
{% endmacro %}

{#- Contacts whose primary company may have changed too: those whose company associations were rebuilt,
    those associated with a rebuilt company, and those whose company is no longer associated (an association
    removed leaves no row behind to be rebuilt). -#}
{% macro changed_contacts_and_companies() %}
{{ changed_contacts() }}
    union
    select associations.from_object_id as changed_key
    from {{ ref('stg_hubspot__associations') }} as associations
    where
        associations.from_object_type = 'contact'
        and associations.to_object_type = 'company'
        and (
            associations._transformed_at > ({{ fact_watermark() }})
            or associations.to_object_id in (
                select companies.company_id
                from {{ ref('stg_hubspot__companies') }} as companies
                where companies._transformed_at > ({{ fact_watermark() }})
            )
        )
    union
    select facts.contact_id as changed_key
    from {{ this }} as facts
    where
        facts.company_id is not null
        and not exists (
            select 1
            from {{ ref('stg_hubspot__associations') }} as associations
            where
                associations.from_object_type = 'contact'
                and associations.to_object_type = 'company'
                and associations.from_object_id = facts.contact_id
                and associations.to_object_id = facts.company_id
        )
{% endmacro %}

{#- Strategy `replace_keys`: delete every row of the changed keys, insert their rebuilt rows. -#}
{% macro get_incremental_replace_keys_sql(arg_dict) %}
{% set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    delete from {{ arg_dict['target_relation'] }} as target
    where target.{{ arg_dict['unique_key'] }} in (
        select changed.changed_key from {{ changed_keys_table() }} as changed
    );
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};
{% endmacro %}
