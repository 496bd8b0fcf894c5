with

latest_pipelines as (

    {{ latest_versions(source('hubspot', 'hubspot__deal_pipelines')) }}

),

stages as (

    select
        latest_pipelines.record_id as pipeline_id,
        latest_pipelines.record ->> 'label' as pipeline_label,
        stage.value ->> 'id' as deal_stage,
        stage.value ->> 'label' as stage_label,
        (stage.value ->> 'displayOrder')::integer as display_order,
        (stage.value -> 'metadata' ->> 'probability')::numeric as win_probability,
        (stage.value -> 'metadata' ->> 'isClosed')::boolean as is_closed
    from latest_pipelines
    cross join lateral jsonb_array_elements(latest_pipelines.record -> 'stages') as stage (value)

)

select * from stages
