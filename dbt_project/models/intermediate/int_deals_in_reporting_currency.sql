{#- Deals of active contacts with amounts in the reporting currency, each deal rounded to the cent: at the
    agreed rate of the close day (of the creation day while open) for revenue, and at the rate of the creation
    day for the pipeline it created; and the person whose deal it is. -#}
with

deals as (

    select * from {{ ref('stg_hubspot__deals') }}
    where not is_archived

),

deal_contacts as (

    select
        from_object_id as deal_id,
        to_object_id as contact_id,
        row_number() over (partition by from_object_id order by is_primary desc, to_object_id asc) as contact_rank
    from {{ ref('stg_hubspot__associations') }}
    where
        from_object_type = 'deal'
        and to_object_type = 'contact'

),

contacts as (

    select * from {{ ref('int_contacts_with_channel') }}

),

fx_rates as (

    select * from {{ ref('glossary_fx_rate_periods') }}

),

deals_with_person as (

    select
        deals.*,
        contacts.person_key,
        contacts.contact_id
    from deals
    inner join deal_contacts
        on
            deals.deal_id = deal_contacts.deal_id
            and deal_contacts.contact_rank = 1
    inner join contacts
        on deal_contacts.contact_id = contacts.contact_id

),

converted as (

    select
        deals_with_person.deal_id,
        deals_with_person.person_key,
        deals_with_person.contact_id,
        deals_with_person.deal_stage,
        deals_with_person.amount,
        deals_with_person.currency_code,
        round(deals_with_person.amount * fx_rates.rate_to_reporting_currency, 2)::numeric(18, 2)
            as amount_in_reporting_currency,
        round(deals_with_person.amount * creation_day_rates.rate_to_reporting_currency, 2)::numeric(18, 2)
            as created_amount_in_reporting_currency,
        deals_with_person.created_at,
        deals_with_person.closed_won_at,
        deals_with_person.is_closed_won
        and deals_with_person.closed_won_at <= {{ as_of() }} as is_won,
        deals_with_person.closed_lost_reason
    from deals_with_person
    left join fx_rates
        on
            deals_with_person.currency_code = fx_rates.currency_code
            and (
                coalesce(deals_with_person.closed_won_at, deals_with_person.created_at)
                at time zone '{{ var("reporting_timezone") }}'
            )::date
            between fx_rates.valid_from and fx_rates.valid_to
    left join fx_rates as creation_day_rates
        on
            deals_with_person.currency_code = creation_day_rates.currency_code
            and (deals_with_person.created_at at time zone '{{ var("reporting_timezone") }}')::date
            between creation_day_rates.valid_from and creation_day_rates.valid_to

)

select * from converted
