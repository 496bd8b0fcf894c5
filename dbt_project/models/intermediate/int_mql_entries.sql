{#- Every MQL of every person: the actual entries into the MQL stage of all their contacts (a contact that
    reached a later stage without ever entering MQL contributes one inferred entry instead). A person's
    earliest MQL is their first MQL; every later one is a re-MQL.
    The agreed MQL definition is the CRM's own stage entry, optionally tightened by fit rules in vars:
    `mql_min_lead_score` keeps only contacts whose lead score reaches it.
    Incremental: a night rebuilds the people whose contacts changed since, and the people those contacts
    left (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('person_key', 'changed_people_of_changed_contacts') }}
-- depends_on: {{ ref('int_contact_person_keys') }}, {{ ref('stg_hubspot__contacts') }}

with

stage_entries as (

    select * from {{ ref('int_lifecycle_stage_entries') }}
    where true {{ only_changed_keys('person_key') }}

),

mql_stage as (

    select stage_order from {{ ref('glossary_lifecycle_stages') }}
    where canonical_stage = 'mql'

),

actual_mql_entries as (

    select
        person_key,
        contact_id,
        entered_at,
        false as is_inferred
    from stage_entries
    where canonical_stage = 'mql'

),

contacts_with_actual_mql as (

    select distinct contact_id from actual_mql_entries

),

inferred_mql_entries as (

    select
        stage_entries.person_key,
        stage_entries.contact_id,
        min(stage_entries.entered_at) as entered_at,
        true as is_inferred
    from stage_entries
    cross join mql_stage
    left join contacts_with_actual_mql
        on stage_entries.contact_id = contacts_with_actual_mql.contact_id
    where
        stage_entries.is_funnel_stage
        and stage_entries.stage_order > mql_stage.stage_order
        and contacts_with_actual_mql.contact_id is null
    group by stage_entries.person_key, stage_entries.contact_id

),

all_mql_entries as (

    select * from actual_mql_entries
    union all
    select * from inferred_mql_entries

),

qualifying_mql_entries as (

    select all_mql_entries.*
    from all_mql_entries
    {% if var('mql_min_lead_score', none) is not none %}
        inner join {{ ref('int_contacts_with_channel') }} as contacts
            on all_mql_entries.contact_id = contacts.contact_id
        where contacts.lead_score >= {{ var('mql_min_lead_score') | int }}
    {% endif %}

),

numbered as (

    select
        person_key,
        contact_id,
        entered_at,
        is_inferred,
        row_number() over (partition by person_key order by entered_at, contact_id) as mql_number
    from qualifying_mql_entries

)

select
    person_key,
    contact_id,
    entered_at,
    is_inferred,
    mql_number,
    mql_number = 1 as is_first_mql,
    current_timestamp as _transformed_at
from numbered
