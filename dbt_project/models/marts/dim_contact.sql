{#- One row per active contact, for BI: ids, person, channel, persona and company dimensions, lifecycle stage
    and funnel dates. No names or emails: the person is identified by their first contact's id. -#}
with

contacts as (

    select * from {{ ref('int_contacts_joined_to_companies') }}

),

staged as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

people as (

    select * from {{ ref('int_people') }}

),

stage_mapping as (

    select * from {{ ref('glossary_lifecycle_stage_mapping') }}
    where source_system = 'hubspot'

)

select
    contacts.contact_id,
    people.first_contact_id as person_id,
    people.channel,
    contacts.contact_channel,
    contacts.persona,
    contacts.company_id,
    contacts.industry_group,
    contacts.company_size_band,
    stage_mapping.canonical_stage as lifecycle_stage,
    staged.lead_status,
    staged.lead_score,
    contacts.owner_id,
    contacts.created_at
from contacts
inner join people
    on contacts.person_key = people.person_key
inner join staged
    on contacts.contact_id = staged.contact_id
left join stage_mapping
    on staged.lifecycle_stage = stage_mapping.source_value
