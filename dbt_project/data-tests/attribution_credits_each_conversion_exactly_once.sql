{#- Attribution hands out each conversion exactly once per model: its touch points' weights sum to exactly 1 and
    a won deal's attributed revenue to exactly its revenue. Returns one row per conversion and model that
    breaks this. -#}
with

attributed as (

    select * from {{ ref('int_conversions_attributed') }}

),

conversions as (

    select * from {{ ref('int_conversions') }}

),

credited as (

    select
        conversion_id,
        attribution_model,
        sum(attribution_weight) as total_weight,
        sum(attributed_revenue) as total_revenue
    from attributed
    group by conversion_id, attribution_model

)

select
    credited.conversion_id,
    credited.attribution_model,
    credited.total_weight,
    credited.total_revenue,
    conversions.revenue
from credited
inner join conversions
    on credited.conversion_id = conversions.conversion_id
where
    credited.total_weight <> 1
    or credited.total_revenue is distinct from conversions.revenue
