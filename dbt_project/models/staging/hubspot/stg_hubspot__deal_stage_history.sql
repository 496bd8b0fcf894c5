{{ incremental_staging_config('deal_id', [('hubspot', 'hubspot__deals')]) }}

with

latest_deals as (

    {{ latest_versions(source('hubspot', 'hubspot__deals')) }}

),

stage_entries as (

    select
        latest_deals.record_id as deal_id,
        entry.value ->> 'value' as deal_stage,
        (entry.value ->> 'timestamp')::timestamptz as entered_at,
        entry.value ->> 'sourceType' as source_type,
        entry.ordinality::integer as newest_first_rank,
        {{ incremental_lineage_columns(source('hubspot', 'hubspot__deals'), 'latest_deals') }}
    from latest_deals
    cross join lateral jsonb_array_elements(
        coalesce(latest_deals.record -> 'propertiesWithHistory' -> 'dealstage', '[]'::jsonb)
    ) with ordinality as entry (value, ordinality)

)

select * from stage_entries
