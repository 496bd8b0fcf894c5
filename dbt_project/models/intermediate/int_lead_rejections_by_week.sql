{#- Leads sales rejected, per reporting week of the rejection: what marketing's MQL target attainment takes off
    the MQLs handed over that week (weekly_review, and sla_scoreboard's marketing row). -#}
with

dispositions as (

    select * from {{ ref('int_lead_dispositions') }}

),

rejections_by_week as (

    select
        {{ reporting_week('disposed_at') }} as week_start,
        count(*) as rejected_leads
    from dispositions
    where disposition = 'rejected'
    group by {{ reporting_week('disposed_at') }}

)

select * from rejections_by_week
