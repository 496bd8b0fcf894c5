{#- Sales' disposition of handed-over leads, from the `hs_lead_status` history: a rejection (UNQUALIFIED,
    with the reason sales gave) or a recycle back to nurturing (BAD_TIMING), each when it was recorded. -#}
with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

active_contacts as (

    select * from {{ ref('int_contacts_with_channel') }}

),

lead_status_history as (

    select * from {{ ref('stg_hubspot__contact_property_history') }}
    where property_name = 'hs_lead_status'

),

dispositions as (

    select
        active_contacts.person_key,
        lead_status_history.contact_id,
        lead_status_history.changed_at as disposed_at,
        case lead_status_history.property_value
            when 'UNQUALIFIED' then 'rejected'
            when 'BAD_TIMING' then 'recycled'
        end as disposition,
        case
            when lead_status_history.property_value = 'UNQUALIFIED' then contacts.sales_rejection_reason
        end as rejection_reason,
        contacts.owner_id
    from lead_status_history
    inner join active_contacts
        on lead_status_history.contact_id = active_contacts.contact_id
    inner join contacts
        on lead_status_history.contact_id = contacts.contact_id
    where
        lead_status_history.property_value in ('UNQUALIFIED', 'BAD_TIMING')
        and lead_status_history.changed_at <= {{ as_of() }}

)

select * from dispositions
