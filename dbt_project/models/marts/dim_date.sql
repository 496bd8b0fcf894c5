{#- One row per day of the reporting calendar (weeks start on Monday), from the first contact to a year after
    the run. -#}
with

bounds as (

    select
        coalesce(min(created_at), {{ as_of() }})::date as first_day,
        ({{ as_of() }} + interval '1 year')::date as last_day
    from {{ ref('stg_hubspot__contacts') }}

),

days as (

    select generate_series(bounds.first_day, bounds.last_day, interval '1 day')::date as date_day
    from bounds

)

select
    date_day,
    date_trunc('week', date_day)::date as week_start,
    date_trunc('month', date_day)::date as month_start,
    date_trunc('quarter', date_day)::date as quarter_start,
    extract(isodow from date_day)::integer as iso_day_of_week,
    extract(isodow from date_day) in (6, 7) as is_weekend
from days
