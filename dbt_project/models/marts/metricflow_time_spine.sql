{#- MetricFlow's time spine: one row per day of the reporting calendar. It reads dim_date, so the semantic
    layer and BI share one calendar; configured as the time spine in _marts__semantic.yml. -#}
with

calendar_days as (

    select * from {{ ref('dim_date') }}

)

select date_day
from calendar_days
