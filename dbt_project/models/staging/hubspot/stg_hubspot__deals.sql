{{ incremental_staging_config('deal_id', [('hubspot', 'hubspot__deals')]) }}

with

latest_deals as (

    {{ latest_versions(source('hubspot', 'hubspot__deals')) }}

),

typed as (

    select
        record_id as deal_id,
        {{ hs_text('dealname') }} as deal_name,
        {{ hs_numeric('amount') }} as amount,
        upper({{ hs_text('deal_currency_code') }}) as currency_code,
        {{ hs_text('dealstage') }} as deal_stage,
        {{ hs_text('pipeline') }} as pipeline_id,
        -- A date-only property is stored as midnight in the portal's time zone, expressed in UTC.
        ({{ hs_timestamp('closedate') }} at time zone '{{ var("hubspot_portal_timezone") }}')::date as close_date,
        coalesce({{ hs_boolean('hs_is_closed') }}, false) as is_closed,
        coalesce({{ hs_boolean('hs_is_closed_won') }}, false) as is_closed_won,
        {{ hs_timestamp('hs_v2_date_entered_closedwon') }} as closed_won_at,
        -- HubSpot's own free-text property; sales agreed to enter a reason of glossary_deal_lost_reasons.
        {{ hs_text('closed_lost_reason') }} as closed_lost_reason,
        {{ hs_text('hubspot_owner_id') }} as owner_id,
        {{ hs_timestamp('createdate') }} as created_at,
        (record ->> 'updatedAt')::timestamptz as updated_at,
        is_deleted as is_archived,
        {{ incremental_lineage_columns(source('hubspot', 'hubspot__deals')) }}
    from latest_deals

)

select * from typed
