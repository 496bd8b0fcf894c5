{{ incremental_staging_config('contact_id', [('hubspot', 'hubspot__contacts')]) }}

with

latest_contacts as (

    {{ latest_versions(source('hubspot', 'hubspot__contacts')) }}

),

history_entries as (

    select
        latest_contacts.record_id as contact_id,
        history.property_name,
        entry.value ->> 'value' as property_value,
        (entry.value ->> 'timestamp')::timestamptz as changed_at,
        entry.value ->> 'sourceType' as source_type,
        entry.ordinality as newest_first_rank,
        {{ incremental_lineage_columns(source('hubspot', 'hubspot__contacts'), 'latest_contacts') }}
    from latest_contacts
    cross join
        lateral jsonb_each(coalesce(latest_contacts.record -> 'propertiesWithHistory', '{}'::jsonb))
            as history (property_name, entries)
    cross join lateral jsonb_array_elements(history.entries) with ordinality as entry (value, ordinality)

),

typed as (

    select
        contact_id,
        property_name,
        nullif(property_value, '') as property_value,
        changed_at,
        source_type,
        newest_first_rank::integer as newest_first_rank,
        _raw_table,
        _cursor_value,
        _transformed_at
    from history_entries

)

select * from typed
