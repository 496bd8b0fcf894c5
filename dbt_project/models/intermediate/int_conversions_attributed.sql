{#- Each conversion's credit split over the person's touch points up to it, by every agreed attribution model
    (glossary_attribution_models). A model gives its anchor shares to the first touch point, the milestone (the
    last touch point by the person's first MQL, else the first one) and the last touch point (shares add up where
    anchors coincide), and spreads the rest evenly over the touch points no weighted anchor falls on, or over
    the anchors' touch points when there are no others. Weights are rounded to 6 decimals and the last touch
    point takes the remainder, so one conversion's weights sum to exactly 1; won revenue is split to the cent the
    same way. Conversions without a touch point by then are not attributed.
    Incremental: a night rebuilds the people whose touch points it rebuilt and those whose attributable
    conversions differ from the ones credited (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('person_key', 'changed_attribution_people') }}

with

conversions as (

    select * from {{ ref('int_conversions') }}
    where true {{ only_changed_keys('person_key') }}

),

touch_points as (

    select * from {{ ref('int_touch_points') }}
    where true {{ only_changed_keys('person_key') }}

),

attribution_models as (

    select * from {{ ref('glossary_attribution_models') }}

),

paths as (

    -- One row per conversion and touch point at or before it, numbered in time order.
    select
        conversions.conversion_id,
        conversions.conversion_type,
        conversions.person_key,
        conversions.converted_at,
        conversions.milestone_at,
        conversions.revenue,
        touch_points.touch_id,
        touch_points.touched_at,
        touch_points.channel,
        touch_points.campaign_id,
        row_number() over conversion_path as touch_number,
        count(*) over (partition by conversions.conversion_id) as path_length,
        count(*) filter (
            where touch_points.touched_at <= conversions.milestone_at
        ) over (partition by conversions.conversion_id) as touches_by_milestone
    from conversions
    inner join touch_points
        on
            conversions.person_key = touch_points.person_key
            and conversions.converted_at >= touch_points.touched_at
    window conversion_path as (
        partition by conversions.conversion_id order by touch_points.touched_at, touch_points.touch_id
    )

),

anchored_paths as (

    select
        paths.*,
        paths.touch_number = 1 as is_first_touch,
        paths.touch_number = greatest(paths.touches_by_milestone, 1) as is_milestone_touch,
        paths.touch_number = paths.path_length as is_last_touch
    from paths

),

anchor_shares as (

    select
        anchored_paths.*,
        attribution_models.attribution_model,
        attribution_models.spread_weight,
        case when anchored_paths.is_first_touch then attribution_models.first_touch_weight else 0 end
        + case when anchored_paths.is_milestone_touch then attribution_models.milestone_weight else 0 end
        + case when anchored_paths.is_last_touch then attribution_models.last_touch_weight else 0 end
            as anchor_weight,
        (anchored_paths.is_first_touch and attribution_models.first_touch_weight > 0)
        or (anchored_paths.is_milestone_touch and attribution_models.milestone_weight > 0)
        or (anchored_paths.is_last_touch and attribution_models.last_touch_weight > 0) as is_weighted_anchor
    from anchored_paths
    cross join attribution_models

),

spread_shares as (

    select
        anchor_shares.*,
        count(*) filter (where anchor_shares.is_weighted_anchor) over conversion_model as weighted_anchors,
        count(*) filter (where not anchor_shares.is_weighted_anchor) over conversion_model as other_touches
    from anchor_shares
    window conversion_model as (partition by anchor_shares.conversion_id, anchor_shares.attribution_model)

),

exact_weights as (

    select
        spread_shares.*,
        spread_shares.anchor_weight
        + case
            when spread_shares.other_touches = 0 then spread_shares.spread_weight / spread_shares.weighted_anchors
            when not spread_shares.is_weighted_anchor then spread_shares.spread_weight / spread_shares.other_touches
            else 0
        end as exact_weight
    from spread_shares

),

rounded_weights as (

    select
        exact_weights.*,
        round(exact_weights.exact_weight, 6) as rounded_weight,
        round(exact_weights.revenue * round(exact_weights.exact_weight, 6), 2) as rounded_revenue
    from exact_weights

),

weights_with_remainder as (

    -- The last touch point takes what rounding left over: 1 minus the other weights, the revenue minus theirs.
    select
        rounded_weights.*,
        case
            when rounded_weights.is_last_touch
                then 1 - (sum(rounded_weights.rounded_weight) over conversion_model - rounded_weights.rounded_weight)
            else rounded_weights.rounded_weight
        end as attribution_weight,
        case
            when rounded_weights.is_last_touch
                then
                    rounded_weights.revenue
                    - (sum(rounded_weights.rounded_revenue) over conversion_model - rounded_weights.rounded_revenue)
            else rounded_weights.rounded_revenue
        end as attributed_revenue
    from rounded_weights
    window conversion_model as (partition by rounded_weights.conversion_id, rounded_weights.attribution_model)

)

select
    conversion_id,
    conversion_type,
    person_key,
    converted_at,
    milestone_at,
    revenue::numeric(18, 2) as conversion_revenue,
    attribution_model,
    touch_id,
    touched_at,
    touch_number,
    path_length,
    is_first_touch,
    is_milestone_touch,
    is_last_touch,
    channel,
    campaign_id,
    attribution_weight::numeric(12, 6) as attribution_weight,
    attributed_revenue::numeric(18, 2) as attributed_revenue,
    current_timestamp as _transformed_at
from weights_with_remainder
