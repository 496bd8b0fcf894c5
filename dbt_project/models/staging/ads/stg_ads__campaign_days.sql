{#- One row per ad platform, account, campaign and day: what the platforms report as delivered and spent, in
    the account's currency, on the day as the platform reports it (the account's time zone for Google and
    Meta, UTC for LinkedIn). The newest read of a day wins: platforms restate recent days. -#}
{%- set no_campaign_days -%}
select
        null::text as platform,
        null::text as account_id,
        null::text as campaign_id,
        null::text as campaign_name,
        null::date as report_date,
        null::numeric as spend,
        null::text as currency_code,
        null::bigint as impressions,
        null::bigint as clicks,
        null::numeric as conversions
    where false
{%- endset %}

with

google_days as (

    {% if source_exists('google_ads', 'google_ads__campaign_daily') %}
        select
            'google_ads' as platform,
            record ->> 'account_id' as account_id,
            record -> 'campaign' ->> 'id' as campaign_id,
            record -> 'campaign' ->> 'name' as campaign_name,
            (record -> 'segments' ->> 'date')::date as report_date,
            (record -> 'metrics' ->> 'costMicros')::numeric / 1000000 as spend,
            record -> 'customer' ->> 'currencyCode' as currency_code,
            (record -> 'metrics' ->> 'impressions')::bigint as impressions,
            (record -> 'metrics' ->> 'clicks')::bigint as clicks,
            (record -> 'metrics' ->> 'conversions')::numeric as conversions
        from ({{ latest_versions(source('google_ads', 'google_ads__campaign_daily')) }}) as latest

    {% else %}
        {{ no_campaign_days }}
    {% endif %}
),

meta_days as (

    {% if source_exists('meta_ads', 'meta_ads__campaign_daily') %}
        select
            'meta_ads' as platform,
            record ->> 'account_id' as account_id,
            record ->> 'campaign_id' as campaign_id,
            record ->> 'campaign_name' as campaign_name,
            (record ->> 'date_start')::date as report_date,
            (record ->> 'spend')::numeric as spend,
            record ->> 'account_currency' as currency_code,
            (record ->> 'impressions')::bigint as impressions,
            (record ->> 'clicks')::bigint as clicks,
            (
                select coalesce(sum((actions.action_json ->> 'value')::numeric), 0)
                from jsonb_array_elements(coalesce(latest.record -> 'actions', '[]'::jsonb)) as actions (action_json)
                where actions.action_json ->> 'action_type' = 'lead'
            ) as conversions
        from ({{ latest_versions(source('meta_ads', 'meta_ads__campaign_daily')) }}) as latest

    {% else %}
        {{ no_campaign_days }}
    {% endif %}
),

-- Read only where LinkedIn's tables exist.
linkedin_accounts as (  -- noqa: ST03

    {{ latest_fields_where_loaded(
        'linkedin_ads', 'linkedin_ads__accounts', {'id': 'account_id', 'currency': 'currency_code'}
    ) }}

),

-- LinkedIn's analytics rows carry no names: a campaign's comes from the campaigns search.
linkedin_campaigns as (  -- noqa: ST03

    {{ latest_fields_where_loaded(
        'linkedin_ads', 'linkedin_ads__campaigns', {'id': 'campaign_id', 'name': 'campaign_name'}
    ) }}

),

linkedin_days as (

    {% if source_exists('linkedin_ads', 'linkedin_ads__campaign_daily') %}
        select
            'linkedin_ads' as platform,
            latest.record ->> 'account_id' as account_id,
            replace(latest.record -> 'pivotValues' ->> 0, 'urn:li:sponsoredCampaign:', '') as campaign_id,
            linkedin_campaigns.campaign_name,
            make_date(
                (latest.record -> 'dateRange' -> 'start' ->> 'year')::integer,
                (latest.record -> 'dateRange' -> 'start' ->> 'month')::integer,
                (latest.record -> 'dateRange' -> 'start' ->> 'day')::integer
            ) as report_date,
            (latest.record ->> 'costInLocalCurrency')::numeric as spend,
            linkedin_accounts.currency_code,
            (latest.record ->> 'impressions')::bigint as impressions,
            (latest.record ->> 'clicks')::bigint as clicks,
            (latest.record ->> 'externalWebsiteConversions')::numeric as conversions
        from ({{ latest_versions(source('linkedin_ads', 'linkedin_ads__campaign_daily')) }}) as latest
        left join linkedin_accounts
            on latest.record ->> 'account_id' = linkedin_accounts.account_id
        left join linkedin_campaigns
            on
                replace(latest.record -> 'pivotValues' ->> 0, 'urn:li:sponsoredCampaign:', '')
                = linkedin_campaigns.campaign_id

    {% else %}
        {{ no_campaign_days }}
    {% endif %}
),

unioned as (

    select * from google_days
    union all
    select * from meta_days
    union all
    select * from linkedin_days

)

select * from unioned
