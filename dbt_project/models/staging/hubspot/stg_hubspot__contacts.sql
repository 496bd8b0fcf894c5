{{ incremental_staging_config('contact_id', [('hubspot', 'hubspot__contacts')]) }}

with

latest_contacts as (

    {{ latest_versions(source('hubspot', 'hubspot__contacts')) }}

),

typed as (

    select
        record_id as contact_id,
        lower(trim({{ hs_text('email') }})) as email,
        {{ hs_text('firstname') }} as first_name,
        {{ hs_text('lastname') }} as last_name,
        {{ hs_text('jobtitle') }} as job_title,
        {{ hs_text('company') }} as company_name,
        {{ hs_text('lifecyclestage') }} as lifecycle_stage,
        {{ hs_text('hs_lead_status') }} as lead_status,
        {{ hs_text('sales_rejection_reason') }} as sales_rejection_reason,
        {{ hs_text('hs_analytics_source') }} as original_source,
        {{ hs_text('hs_analytics_source_data_1') }} as original_source_detail_1,
        {{ hs_text('hs_analytics_source_data_2') }} as original_source_detail_2,
        {{ hs_text('utm_source') }} as utm_source,
        {{ hs_text('utm_medium') }} as utm_medium,
        {{ hs_text('utm_campaign') }} as utm_campaign,
        {{ hs_text('utm_content') }} as utm_content,
        {{ hs_integer('hubspotscore') }} as lead_score,
        {{ hs_text('hubspot_owner_id') }} as owner_id,
        {{ hs_text('hs_merged_object_ids') }} as merged_contact_ids,
        {{ hs_timestamp('createdate') }} as created_at,
        (record ->> 'updatedAt')::timestamptz as updated_at,
        is_deleted as is_archived,
        extracted_at,
        {{ incremental_lineage_columns(source('hubspot', 'hubspot__contacts')) }}
    from latest_contacts

)

select * from typed
