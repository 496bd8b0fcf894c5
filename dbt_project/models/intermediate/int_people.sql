{#- One person, one count: contacts grouped by normalised email; a contact without email is a person alone.
    A person's channel is the channel of their earliest contact.
    Incremental: a night rebuilds the people whose contacts changed since, and the people those contacts
    left (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('person_key', 'changed_people_of_changed_contacts') }}
-- depends_on: {{ ref('int_contact_person_keys') }}, {{ ref('stg_hubspot__contacts') }}

with

contacts as (

    select * from {{ ref('int_contacts_with_channel') }}
    where true {{ only_changed_keys('person_key') }}

),

contacts_ranked as (

    select
        contacts.*,
        row_number()
            over (partition by contacts.person_key order by contacts.created_at, contacts.contact_id)
            as creation_rank,
        count(*) over (partition by contacts.person_key) as contact_count
    from contacts

),

people as (

    select
        person_key,
        contact_id as first_contact_id,
        contact_channel as channel,
        created_at as first_created_at,
        contact_count,
        current_timestamp as _transformed_at
    from contacts_ranked
    where creation_rank = 1

)

select * from people
