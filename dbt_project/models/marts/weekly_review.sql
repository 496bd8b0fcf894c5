{#- The weekly review both teams read: per reporting week and channel, the funnel (people entering each
    stage that week) and its stage-to-stage conversion rates, pipeline created, won revenue and ad spend in the
    reporting currency, cost per stage, SLA breaches, and the week's MQL target and its attainment (a weekly
    total, the same on every channel row of the week: the target is agreed for all channels together). -#}
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

rejections_by_week as (

    select * from {{ ref('int_lead_rejections_by_week') }}

),

sla_periods as (

    select * from {{ ref('glossary_sla_target_periods') }}

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

pipeline_events as (

    select
        person_key,
        created_at as happened_at,
        'pipeline_created' as metric,
        created_amount_in_reporting_currency as metric_value
    from deals
    where created_at <= {{ as_of() }}

),

all_events as (

    select * from stage_events
    union all
    select * from mql_events
    union all
    select * from breach_events
    union all
    select * from revenue_events
    union all
    select * from pipeline_events

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
        coalesce(sum(metric_value) filter (where metric = 'pipeline_created'), 0)::numeric(18, 2)
            as pipeline_created,
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

),

with_conversion_rates as (

    -- Flows of the same week and channel, not cohorts: the people passing the later stage this week over
    -- those passing the earlier one this week (it can exceed 1); null when nobody passed the earlier one.
    select
        with_costs.*,
        round(with_costs.mqls::numeric / nullif(with_costs.leads, 0), 4) as lead_to_mql_rate,
        round(with_costs.sqls::numeric / nullif(with_costs.mqls, 0), 4) as mql_to_sql_rate,
        round(with_costs.opportunities::numeric / nullif(with_costs.sqls, 0), 4) as sql_to_opportunity_rate,
        round(with_costs.customers::numeric / nullif(with_costs.opportunities, 0), 4)
            as opportunity_to_customer_rate
    from with_costs

),

handoffs_by_week as (

    select
        {{ reporting_week('mql_at') }} as week_start,
        count(*) as mqls_handed_over
    from handoffs
    group by {{ reporting_week('mql_at') }}

),

mql_target_by_week as (

    -- Marketing's target is one number per week for all channels: what counts towards it (MQLs handed over
    -- minus leads sales rejected that week, as in sla_scoreboard's marketing row) is the week's total too.
    select
        weeks.week_start,
        sla_periods.mql_target_per_week as mql_target,
        round(
            (coalesce(handoffs_by_week.mqls_handed_over, 0) - coalesce(rejections_by_week.rejected_leads, 0))::numeric
            / nullif(sla_periods.mql_target_per_week, 0),
            4
        ) as mql_target_attainment
    from (select distinct week_start from with_conversion_rates) as weeks
    inner join sla_periods
        on weeks.week_start between sla_periods.valid_from and sla_periods.valid_to
    left join handoffs_by_week
        on weeks.week_start = handoffs_by_week.week_start
    left join rejections_by_week
        on weeks.week_start = rejections_by_week.week_start

)

select
    with_conversion_rates.week_start,
    with_conversion_rates.channel,
    with_conversion_rates.leads,
    with_conversion_rates.mqls,
    with_conversion_rates.re_mqls,
    with_conversion_rates.sqls,
    with_conversion_rates.opportunities,
    with_conversion_rates.customers,
    with_conversion_rates.won_revenue,
    with_conversion_rates.spend,
    with_conversion_rates.cost_per_lead,
    with_conversion_rates.cost_per_mql,
    with_conversion_rates.cost_per_opportunity,
    with_conversion_rates.cost_per_customer,
    '{{ var("reporting_currency") }}' as reporting_currency,
    with_conversion_rates.sla_breaches,
    version_in_force.definitions_version,
    with_conversion_rates.pipeline_created,
    with_conversion_rates.lead_to_mql_rate,
    with_conversion_rates.mql_to_sql_rate,
    with_conversion_rates.sql_to_opportunity_rate,
    with_conversion_rates.opportunity_to_customer_rate,
    mql_target_by_week.mql_target,
    mql_target_by_week.mql_target_attainment
from with_conversion_rates
left join mql_target_by_week
    on with_conversion_rates.week_start = mql_target_by_week.week_start
cross join version_in_force
