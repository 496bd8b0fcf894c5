with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

stage_mapping as (

    select * from {{ ref('glossary_lifecycle_stage_mapping') }}
    where source_system = 'hubspot'

),

active_contacts as (

    select
        contact_id,
        lifecycle_stage,
        created_at
    from contacts
    where not is_archived

),

contacts_in_canonical_stages as (

    select
        active_contacts.contact_id,
        stage_mapping.canonical_stage,
        stage_mapping.stage_order,
        date_trunc(
            'week', active_contacts.created_at at time zone '{{ var("reporting_timezone") }}'
        )::date as week_start
    from active_contacts
    left join stage_mapping
        on active_contacts.lifecycle_stage = stage_mapping.source_value

),

weekly_counts as (

    select
        week_start,
        canonical_stage,
        stage_order,
        count(*) as contact_count
    from contacts_in_canonical_stages
    group by week_start, canonical_stage, stage_order

)

select
    week_start,
    canonical_stage,
    stage_order,
    contact_count
from weekly_counts
