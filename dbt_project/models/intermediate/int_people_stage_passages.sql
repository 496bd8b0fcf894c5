{#- When each person first passed each funnel stage. A stage counts as passed at the first entry into it or
    into any later funnel stage, so a skipped stage is inferred at the later stage's entry. -#}
with

stage_entries as (

    select * from {{ ref('int_lifecycle_stage_entries') }}
    where is_funnel_stage

),

funnel_stages as (

    select * from {{ ref('glossary_lifecycle_stages') }}
    where is_funnel_stage

),

passages as (

    select
        stage_entries.person_key,
        funnel_stages.canonical_stage,
        funnel_stages.stage_order,
        min(stage_entries.entered_at) as passed_at,
        bool_or(stage_entries.canonical_stage = funnel_stages.canonical_stage) as was_entered
    from stage_entries
    inner join funnel_stages
        on stage_entries.stage_order >= funnel_stages.stage_order
    group by stage_entries.person_key, funnel_stages.canonical_stage, funnel_stages.stage_order

)

select * from passages
