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
        entry.ordinality as newest_first_rank
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
        newest_first_rank::integer as newest_first_rank
    from history_entries

)

select * from typed
