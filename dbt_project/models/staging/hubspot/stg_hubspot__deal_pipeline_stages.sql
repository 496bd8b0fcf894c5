with

latest_pipelines as (

    {{ latest_versions(source('hubspot', 'hubspot__deal_pipelines')) }}

),

stages as (

    select
        latest_pipelines.record_id as pipeline_id,
        latest_pipelines.record ->> 'label' as pipeline_label,
        pipeline_stage.stage_json ->> 'id' as deal_stage,
        pipeline_stage.stage_json ->> 'label' as stage_label,
        (pipeline_stage.stage_json ->> 'displayOrder')::integer as display_order,
        (pipeline_stage.stage_json -> 'metadata' ->> 'probability')::numeric as win_probability,
        (pipeline_stage.stage_json -> 'metadata' ->> 'isClosed')::boolean as is_closed
    from latest_pipelines
    cross join lateral jsonb_array_elements(latest_pipelines.record -> 'stages') as pipeline_stage (stage_json)

)

select * from stages
