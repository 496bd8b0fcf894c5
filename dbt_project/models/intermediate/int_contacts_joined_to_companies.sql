{#- Active contacts with their buyer persona (first matching title rule) and their primary company's
    industry group and size band: the dimensions sales brings to the weekly review.
    Incremental: a night rebuilds the contacts changed since, and those whose company or company associations
    changed (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('contact_id', 'changed_contacts_and_companies') }}
-- depends_on: {{ ref('stg_hubspot__contacts') }}
-- depends_on: {{ ref('stg_hubspot__companies') }}

with

contacts as (

    select * from {{ ref('int_contacts_with_channel') }}
    where true {{ only_changed_keys('contact_id') }}

),

persona_rules as (

    select * from {{ ref('glossary_persona_rules') }}

),

contact_companies as (

    select
        from_object_id as contact_id,
        to_object_id as company_id,
        row_number() over (
            partition by from_object_id order by is_primary desc, to_object_id asc
        ) as company_rank
    from {{ ref('stg_hubspot__associations') }}
    where
        from_object_type = 'contact'
        and to_object_type = 'company'

),

companies as (

    select * from {{ ref('int_companies_classified') }}

),

persona_matches as (

    select
        contacts.contact_id,
        persona_rules.persona,
        row_number() over (partition by contacts.contact_id order by persona_rules.rule_priority) as match_rank
    from contacts
    inner join persona_rules
        on lower(contacts.job_title) like persona_rules.title_pattern

),

joined as (

    select
        contacts.contact_id,
        contacts.person_key,
        contacts.contact_channel,
        contacts.owner_id,
        contacts.created_at,
        coalesce(persona_matches.persona, 'other') as persona,
        companies.company_id,
        companies.company_domain,
        coalesce(companies.industry_group, 'unknown') as industry_group,
        coalesce(companies.company_size_band, 'unknown') as company_size_band,
        current_timestamp as _transformed_at
    from contacts
    left join persona_matches
        on
            contacts.contact_id = persona_matches.contact_id
            and persona_matches.match_rank = 1
    left join contact_companies
        on
            contacts.contact_id = contact_companies.contact_id
            and contact_companies.company_rank = 1
    left join companies
        on contact_companies.company_id = companies.company_id

)

select * from joined
