with

raw_contacts as (

    select * from {{ source('hubspot', 'hubspot__contacts') }}

),

versions_ranked as (

    select
        raw_contacts.*,
        row_number() over (
            partition by raw_contacts.record_id
            order by raw_contacts.cursor_value desc, raw_contacts.batch_id desc, raw_contacts.is_deleted desc
        ) as version_rank
    from raw_contacts

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

typed as (

    select
        record_id as contact_id,
        lower(trim(record -> 'properties' ->> 'email')) as email,
        record -> 'properties' ->> 'lifecyclestage' as lifecycle_stage,
        record -> 'properties' ->> 'hs_analytics_source' as original_source,
        (record -> 'properties' ->> 'createdate')::timestamptz as created_at,
        (record ->> 'updatedAt')::timestamptz as updated_at,
        is_deleted as is_archived,
        extracted_at
    from latest_versions

)

select * from typed
