{#- When each person first passed each funnel stage. A stage counts as passed at the first entry into it or
    into any later funnel stage, so a skipped stage is inferred at the later stage's entry.
    Incremental: a night rebuilds the people whose contacts changed since, and the people those contacts
    left (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('person_key', 'changed_people_of_changed_contacts') }}
-- depends_on: {{ ref('int_contact_person_keys') }}, {{ ref('stg_hubspot__contacts') }}

with

stage_entries as (

    select * from {{ ref('int_lifecycle_stage_entries') }}
    where is_funnel_stage {{ only_changed_keys('person_key') }}

),

funnel_stages as (

    select * from {{ ref('glossary_lifecycle_stages') }}
    where is_funnel_stage

),

passages as (

    select
        stage_entries.person_key,
        funnel_stages.canonical_stage,
        funnel_stages.stage_order,
        min(stage_entries.entered_at) as passed_at,
        bool_or(stage_entries.canonical_stage = funnel_stages.canonical_stage) as was_entered,
        current_timestamp as _transformed_at
    from stage_entries
    inner join funnel_stages
        on stage_entries.stage_order >= funnel_stages.stage_order
    group by stage_entries.person_key, funnel_stages.canonical_stage, funnel_stages.stage_order

)

select * from passages
