with

stage_map as (

    select * from {{ ref('glossary_lifecycle_stage_map') }}

),

stages as (

    select * from {{ ref('glossary_lifecycle_stages') }}

),

mapped_with_order as (

    select
        stage_map.source_system,
        stage_map.source_value,
        stages.canonical_stage,
        stages.stage_order,
        stages.is_funnel_stage
    from stage_map
    inner join stages
        on stage_map.canonical_stage = stages.canonical_stage

)

select * from mapped_with_order
