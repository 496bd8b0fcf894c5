{#- Active contacts with the person they are (normalised email) and their channel (first matching rule).
    Incremental: a night rebuilds the contacts changed since (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('contact_id', 'changed_contacts') }}

with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

channel_rules as (

    select * from {{ ref('glossary_channel_mapping') }}
    where source_system = 'hubspot'

),

active_contacts as (

    select
        contact_id,
        email,
        coalesce(email, 'hubspot-contact:' || contact_id) as person_key,
        original_source,
        original_source_detail_1,
        original_source_detail_2,
        lead_score,
        owner_id,
        job_title,
        created_at
    from contacts
    where
        not is_archived
        and created_at <= {{ as_of() }}
        {{ only_changed_keys('contact_id') }}

),

rule_matches as (

    select
        active_contacts.contact_id,
        channel_rules.channel,
        row_number() over (
            partition by active_contacts.contact_id order by channel_rules.rule_priority
        ) as match_rank
    from active_contacts
    inner join channel_rules
        on (
            channel_rules.source_field = 'original_source'
            and active_contacts.original_source like channel_rules.match_pattern
        )
        or (
            channel_rules.source_field = 'original_source_detail_1'
            and active_contacts.original_source_detail_1 like channel_rules.match_pattern
        )
        or (
            channel_rules.source_field = 'original_source_detail_2'
            and active_contacts.original_source_detail_2 like channel_rules.match_pattern
        )

),

contacts_with_channel as (

    select
        active_contacts.*,
        coalesce(rule_matches.channel, 'other') as contact_channel,
        current_timestamp as _transformed_at
    from active_contacts
    left join rule_matches
        on
            active_contacts.contact_id = rule_matches.contact_id
            and rule_matches.match_rank = 1

)

select * from contacts_with_channel
