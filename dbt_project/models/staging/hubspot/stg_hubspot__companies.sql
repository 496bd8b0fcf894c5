{{ incremental_staging_config('company_id', [('hubspot', 'hubspot__companies')]) }}

with

latest_companies as (

    {{ latest_versions(source('hubspot', 'hubspot__companies')) }}

),

typed as (

    select
        record_id as company_id,
        {{ hs_text('name') }} as company_name,
        regexp_replace(lower(trim({{ hs_text('domain') }})), '^www\.', '') as company_domain,
        {{ hs_text('industry') }} as industry,
        {{ hs_integer('numberofemployees') }} as employee_count,
        {{ hs_text('account_tier') }} as account_tier,
        {{ hs_timestamp('createdate') }} as created_at,
        (record ->> 'updatedAt')::timestamptz as updated_at,
        is_deleted as is_archived,
        {{ incremental_lineage_columns(source('hubspot', 'hubspot__companies')) }}
    from latest_companies

)

select * from typed
