{#- The weekly review repeats the week's MQL target and attainment on every channel row: each row must carry
    exactly the numbers of sla_scoreboard's marketing row for that week (the one definition of attainment).
    Returns one row per week x channel that disagrees, or that disagrees with another channel of its week. -#}
with

weekly_review as (

    select * from {{ ref('weekly_review') }}

),

scoreboard as (

    select * from {{ ref('sla_scoreboard') }}
    where team = 'marketing'

),

weeks_disagreeing_across_channels as (

    select week_start
    from weekly_review
    group by week_start
    having
        count(distinct coalesce(mql_target, -1)) > 1
        or count(distinct coalesce(mql_target_attainment, -1)) > 1

)

select
    weekly_review.week_start,
    weekly_review.channel,
    weekly_review.mql_target,
    weekly_review.mql_target_attainment,
    scoreboard.mql_target as scoreboard_mql_target,
    scoreboard.mql_target_attainment as scoreboard_mql_target_attainment
from weekly_review
left join scoreboard
    on weekly_review.week_start = scoreboard.week_start
where
    (
        scoreboard.week_start is not null
        and (
            weekly_review.mql_target is distinct from scoreboard.mql_target
            or weekly_review.mql_target_attainment is distinct from scoreboard.mql_target_attainment
        )
    )
    or weekly_review.week_start in (
        select weeks_disagreeing_across_channels.week_start from weeks_disagreeing_across_channels
    )
