{#- People grouped by the week they became a lead and their channel: the share of each cohort that reached
    MQL, SQL, opportunity and customer within 30, 60 and 90 days of becoming a lead, and the median days
    between consecutive stages. -#}
{%- set stages = ['mql', 'sql', 'opportunity', 'customer'] -%}
{%- set windows = [30, 60, 90] -%}

with

people as (

    select * from {{ ref('int_people') }}

),

passages as (

    select * from {{ ref('int_people_stage_passages') }}

),

passages_by_person as (

    select
        person_key,
        min(passed_at) filter (where canonical_stage = 'lead') as lead_at,
        {% for stage in stages %}
            min(passed_at) filter (where canonical_stage = '{{ stage }}') as {{ stage }}_at
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from passages
    group by person_key

),

cohort_members as (

    select
        passages_by_person.*,
        {{ reporting_week('passages_by_person.lead_at') }} as cohort_week,
        people.channel
    from passages_by_person
    inner join people
        on passages_by_person.person_key = people.person_key
    where passages_by_person.lead_at is not null

),

cohorts as (

    select
        cohort_week,
        channel,
        count(*) as cohort_size,
        {% for stage in stages %}
            {% for days in windows %}
                round(
                    (count(*) filter (where {{ stage }}_at <= lead_at + interval '{{ days }} days'))::numeric
                    / count(*),
                    4
                ) as {{ stage }}_within_{{ days }}d_rate,
            {% endfor %}
        {% endfor %}
        round(
            (percentile_cont(0.5) within group (order by extract(epoch from mql_at - lead_at) / 86400))::numeric,
            2
        ) as median_days_lead_to_mql,
        round(
            (percentile_cont(0.5) within group (order by extract(epoch from sql_at - mql_at) / 86400))::numeric,
            2
        ) as median_days_mql_to_sql,
        round(
            (percentile_cont(0.5) within group (order by extract(epoch from opportunity_at - sql_at) / 86400))::numeric,
            2
        ) as median_days_sql_to_opportunity,
        round(
            (
                percentile_cont(0.5) within group (order by extract(epoch from customer_at - opportunity_at) / 86400)
            )::numeric,
            2
        ) as median_days_opportunity_to_customer
    from cohort_members
    group by cohort_week, channel

)

select * from cohorts
