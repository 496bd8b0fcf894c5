{#- Both sides of the SLA, scored weekly. Sales rows (one per week, team and owner): MQLs handed over, worked
    within the SLA, response times, breaches, rejections and recycles. The marketing row (one per week,
    team `marketing`): MQLs delivered, of which not rejected, against the agreed weekly target. -#}
with

handoffs as (

    select * from {{ ref('int_mql_handoffs') }}

),

dispositions as (

    select * from {{ ref('int_lead_dispositions') }}

),

rejections_by_week as (

    select * from {{ ref('int_lead_rejections_by_week') }}

),

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

owners as (

    select * from {{ ref('stg_hubspot__owners') }}

),

sla_periods as (

    select * from {{ ref('glossary_sla_target_periods') }}

),

handoffs_by_owner as (

    select
        {{ reporting_week('handoffs.mql_at') }} as week_start,
        contacts.owner_id,
        handoffs.first_touch_at,
        handoffs.first_touch_deadline_at,
        handoffs.response_hours,
        handoffs.is_sla_breached
    from handoffs
    inner join contacts
        on handoffs.contact_id = contacts.contact_id

),

handoff_scores as (

    select
        week_start,
        owner_id,
        count(*) as mqls_handed_over,
        count(*) filter (where first_touch_at <= first_touch_deadline_at) as mqls_worked_within_sla,
        percentile_cont(0.5) within group (order by response_hours) as median_response_hours,
        percentile_cont(0.9) within group (order by response_hours) as p90_response_hours,
        count(*) filter (where is_sla_breached) as sla_breaches
    from handoffs_by_owner
    group by week_start, owner_id

),

disposition_scores as (

    select
        {{ reporting_week('disposed_at') }} as week_start,
        owner_id,
        count(*) filter (where disposition = 'rejected') as rejected_leads,
        count(*) filter (where disposition = 'recycled') as recycled_leads
    from dispositions
    group by {{ reporting_week('disposed_at') }}, owner_id

),

sales_rows as (

    select
        coalesce(handoff_scores.week_start, disposition_scores.week_start) as week_start,
        coalesce(owners.team_name, 'unassigned') as team,
        coalesce(handoff_scores.owner_id, disposition_scores.owner_id) as owner_id,
        coalesce(handoff_scores.mqls_handed_over, 0) as mqls_handed_over,
        coalesce(handoff_scores.mqls_worked_within_sla, 0) as mqls_worked_within_sla,
        round(handoff_scores.median_response_hours::numeric, 2) as median_response_hours,
        round(handoff_scores.p90_response_hours::numeric, 2) as p90_response_hours,
        coalesce(handoff_scores.sla_breaches, 0) as sla_breaches,
        coalesce(disposition_scores.rejected_leads, 0) as rejected_leads,
        coalesce(disposition_scores.recycled_leads, 0) as recycled_leads,
        null::integer as mql_target,
        null::numeric as mql_target_attainment
    from handoff_scores
    full outer join disposition_scores
        on
            handoff_scores.week_start = disposition_scores.week_start
            and handoff_scores.owner_id is not distinct from disposition_scores.owner_id
    left join owners
        on coalesce(handoff_scores.owner_id, disposition_scores.owner_id) = owners.owner_id

),

marketing_weeks as (

    select
        handoffs_by_owner.week_start,
        count(*) as mqls_handed_over
    from handoffs_by_owner
    group by handoffs_by_owner.week_start

),

marketing_rows as (

    select
        marketing_weeks.week_start,
        'marketing' as team,
        null as owner_id,
        marketing_weeks.mqls_handed_over,
        null::bigint as mqls_worked_within_sla,
        null::numeric as median_response_hours,
        null::numeric as p90_response_hours,
        null::bigint as sla_breaches,
        coalesce(rejections_by_week.rejected_leads, 0) as rejected_leads,
        null::bigint as recycled_leads,
        sla_periods.mql_target_per_week as mql_target,
        round(
            (marketing_weeks.mqls_handed_over - coalesce(rejections_by_week.rejected_leads, 0))::numeric
            / nullif(sla_periods.mql_target_per_week, 0),
            4
        ) as mql_target_attainment
    from marketing_weeks
    left join rejections_by_week
        on marketing_weeks.week_start = rejections_by_week.week_start
    inner join sla_periods
        on marketing_weeks.week_start between sla_periods.valid_from and sla_periods.valid_to

),

scoreboard as (

    select * from sales_rows
    union all
    select * from marketing_rows

)

select
    week_start,
    team,
    owner_id,
    mqls_handed_over,
    mqls_worked_within_sla,
    median_response_hours,
    p90_response_hours,
    sla_breaches,
    rejected_leads,
    recycled_leads,
    mql_target,
    mql_target_attainment
from scoreboard
