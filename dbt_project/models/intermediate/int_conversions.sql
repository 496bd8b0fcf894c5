{#- The conversions attribution credits, one row each: a person's first MQL, their passage of the opportunity
    and customer stages (counted as in weekly_review), and every won deal with its revenue in the reporting
    currency. `milestone_at` is the person's first MQL (never later than the conversion), the instant the
    W-shaped model's middle anchor is taken at. -#}
with

mql_entries as (

    select * from {{ ref('int_mql_entries') }}

),

passages as (

    select * from {{ ref('int_people_stage_passages') }}

),

deals as (

    select * from {{ ref('int_deals_in_reporting_currency') }}

),

first_mqls as (

    select
        person_key,
        entered_at as first_mql_at
    from mql_entries
    where is_first_mql

),

mql_conversions as (

    select
        'mql:' || person_key as conversion_id,
        'mql' as conversion_type,
        person_key,
        first_mql_at as converted_at,
        null::numeric(18, 2) as revenue
    from first_mqls

),

stage_conversions as (

    select
        canonical_stage || ':' || person_key as conversion_id,
        canonical_stage as conversion_type,
        person_key,
        passed_at as converted_at,
        null::numeric(18, 2) as revenue
    from passages
    where canonical_stage in ('opportunity', 'customer')

),

won_deal_conversions as (

    select
        'won_deal:' || deal_id as conversion_id,
        'won_deal' as conversion_type,
        person_key,
        closed_won_at as converted_at,
        amount_in_reporting_currency as revenue
    from deals
    where is_won

),

all_conversions as (

    select * from mql_conversions
    union all
    select * from stage_conversions
    union all
    select * from won_deal_conversions

),

conversions_with_milestone as (

    select
        all_conversions.conversion_id,
        all_conversions.conversion_type,
        all_conversions.person_key,
        all_conversions.converted_at,
        least(first_mqls.first_mql_at, all_conversions.converted_at) as milestone_at,
        all_conversions.revenue
    from all_conversions
    left join first_mqls
        on all_conversions.person_key = first_mqls.person_key

)

select * from conversions_with_milestone
