{#- Every attribution model hands out all of a conversion's credit and nothing more: its four shares are given,
    not negative, and sum to exactly 1. Returns one row per model that breaks this. -#}
with

models as (

    select * from {{ ref('glossary_attribution_models') }}

)

select
    attribution_model,
    first_touch_weight,
    milestone_weight,
    last_touch_weight,
    spread_weight
from models
where
    first_touch_weight + milestone_weight + last_touch_weight + spread_weight is distinct from 1
    or least(first_touch_weight, milestone_weight, last_touch_weight, spread_weight) < 0
