{#- Every entry of an active contact into a lifecycle stage, from the CRM's property history, mapped to the
    glossary's canonical stages. A value the glossary does not know is no stage (the contracts report it).
    Incremental: a night rebuilds the contacts changed since (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('contact_id', 'changed_contacts') }}
-- depends_on: {{ ref('stg_hubspot__contacts') }}

with

contacts as (

    select * from {{ ref('int_contacts_with_channel') }}
    where true {{ only_changed_keys('contact_id') }}

),

history as (

    select * from {{ ref('stg_hubspot__contact_property_history') }}
    where property_name = 'lifecyclestage'

),

stage_mapping as (

    select * from {{ ref('glossary_lifecycle_stage_mapping') }}
    where source_system = 'hubspot'

),

stage_entries as (

    select
        contacts.person_key,
        history.contact_id,
        stage_mapping.canonical_stage,
        stage_mapping.stage_order,
        stage_mapping.is_funnel_stage,
        history.changed_at as entered_at,
        current_timestamp as _transformed_at
    from history
    inner join contacts
        on history.contact_id = contacts.contact_id
    inner join stage_mapping
        on history.property_value = stage_mapping.source_value
    where history.changed_at <= {{ as_of() }}

)

select * from stage_entries
