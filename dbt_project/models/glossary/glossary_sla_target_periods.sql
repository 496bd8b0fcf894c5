{#- The agreed SLA between marketing and sales, with the period each version was in force. -#}
with

targets as (

    select * from {{ ref('glossary_sla_targets') }}

),

targets_with_validity as (

    select
        valid_from,
        coalesce(lead(valid_from) over (order by valid_from) - 1, date '2099-12-31') as valid_to,
        mql_target_per_week,
        first_touch_deadline_hours,
        business_hours_only
    from targets

)

select * from targets_with_validity
