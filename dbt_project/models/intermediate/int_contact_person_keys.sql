{#- The person each CRM contact is now (none while it is archived or not yet created by `as_of`) and the one it
    was when this table last ran. A contact that moves to another person, or is archived, changes the person it
    left as well, and once `int_contacts_with_channel` is rebuilt only this table still knows that person: the
    person-level facts rebuild both (`changed_people_of_changed_contacts`, macros/incremental_facts.sql).
    Incremental like the facts: a night rebuilds the contacts changed since it last ran. -#}
{{ incremental_fact_config('contact_id', 'changed_contacts') }}

with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}
    where true {{ only_changed_keys('contact_id') }}

),

active_contacts as (

    select * from {{ ref('int_contacts_with_channel') }}
    where true {{ only_changed_keys('contact_id') }}

),

contact_people_before as (

    {% if is_incremental() %}
        select
            contact_id,
            person_key
        from {{ this }}
        where true {{ only_changed_keys('contact_id') }}
    {% else %}
        select
            null::text as contact_id,
            null::text as person_key
        where false
    {% endif %}

),

contact_people as (

    select
        contacts.contact_id,
        active_contacts.person_key,
        contact_people_before.person_key as _previous_person_key,
        current_timestamp as _transformed_at
    from contacts
    left join active_contacts
        on contacts.contact_id = active_contacts.contact_id
    left join contact_people_before
        on contacts.contact_id = contact_people_before.contact_id

)

select * from contact_people
