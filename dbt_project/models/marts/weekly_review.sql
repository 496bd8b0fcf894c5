{#- The weekly review both teams read: per reporting week and channel, the funnel (people entering each
    stage that week), won revenue and ad spend in the reporting currency, cost per stage and SLA breaches. -#}
with

people as (

    select * from {{ ref('int_people') }}

),

passages as (

    select * from {{ ref('int_people_stage_passages') }}

),

mql_entries as (

    select * from {{ ref('int_mql_entries') }}

),

handoffs as (

    select * from {{ ref('int_mql_handoffs') }}

),

deals as (

    select * from {{ ref('int_deals_in_reporting_currency') }}

),

ad_spend as (

    select * from {{ ref('int_ad_spend_daily') }}

),

version_in_force as (

    select * from {{ ref('definitions_version') }}

),

stage_events as (

    select
        passages.person_key,
        passages.passed_at as happened_at,
        passages.canonical_stage as metric,
        1 as metric_value
    from passages
    where passages.canonical_stage in ('lead', 'sql', 'opportunity', 'customer')

),

mql_events as (

    select
        person_key,
        entered_at as happened_at,
        case when is_first_mql then 'mql' else 're_mql' end as metric,
        1 as metric_value
    from mql_entries

),

breach_events as (

    select
        person_key,
        mql_at as happened_at,
        'sla_breach' as metric,
        1 as metric_value
    from handoffs
    where is_sla_breached

),

revenue_events as (

    select
        person_key,
        closed_won_at as happened_at,
        'won_revenue' as metric,
        amount_in_reporting_currency as metric_value
    from deals
    where is_won

),

all_events as (

    select * from stage_events
    union all
    select * from mql_events
    union all
    select * from breach_events
    union all
    select * from revenue_events

),

people_events_by_week_and_channel as (

    select
        {{ reporting_week('all_events.happened_at') }} as week_start,
        people.channel,
        all_events.metric,
        all_events.metric_value
    from all_events
    inner join people
        on all_events.person_key = people.person_key

),

spend_events as (

    -- Spend counts in the week of the day the platform reports it under (its own calendar day).
    select
        date_trunc('week', report_date)::date as week_start,
        channel,
        'spend' as metric,
        spend_in_reporting_currency as metric_value
    from ad_spend

),

events_by_week_and_channel as (

    select * from people_events_by_week_and_channel
    union all
    select * from spend_events

),

weekly as (

    select
        week_start,
        channel,
        count(*) filter (where metric = 'lead') as leads,
        count(*) filter (where metric = 'mql') as mqls,
        count(*) filter (where metric = 're_mql') as re_mqls,
        count(*) filter (where metric = 'sql') as sqls,
        count(*) filter (where metric = 'opportunity') as opportunities,
        count(*) filter (where metric = 'customer') as customers,
        coalesce(sum(metric_value) filter (where metric = 'won_revenue'), 0)::numeric(18, 2) as won_revenue,
        round(coalesce(sum(metric_value) filter (where metric = 'spend'), 0), 2)::numeric(18, 2) as spend,
        count(*) filter (where metric = 'sla_breach') as sla_breaches
    from events_by_week_and_channel
    group by week_start, channel

),

with_costs as (

    select
        weekly.*,
        round(weekly.spend / nullif(weekly.leads, 0), 2)::numeric(18, 2) as cost_per_lead,
        round(weekly.spend / nullif(weekly.mqls, 0), 2)::numeric(18, 2) as cost_per_mql,
        round(weekly.spend / nullif(weekly.opportunities, 0), 2)::numeric(18, 2) as cost_per_opportunity,
        round(weekly.spend / nullif(weekly.customers, 0), 2)::numeric(18, 2) as cost_per_customer
    from weekly

)

select
    with_costs.week_start,
    with_costs.channel,
    with_costs.leads,
    with_costs.mqls,
    with_costs.re_mqls,
    with_costs.sqls,
    with_costs.opportunities,
    with_costs.customers,
    with_costs.won_revenue,
    with_costs.spend,
    with_costs.cost_per_lead,
    with_costs.cost_per_mql,
    with_costs.cost_per_opportunity,
    with_costs.cost_per_customer,
    '{{ var("reporting_currency") }}' as reporting_currency,
    with_costs.sla_breaches,
    version_in_force.definitions_version
from with_costs
cross join version_in_force
