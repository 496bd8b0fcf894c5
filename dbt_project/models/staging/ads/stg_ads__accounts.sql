{#- One row per ad account on every platform we load: its currency and the time zone its days are in
    (LinkedIn reports in UTC). A platform whose raw table does not exist contributes no rows. -#}
{%- set no_accounts -%}
select
        null::text as platform,
        null::text as account_id,
        null::text as account_name,
        null::text as currency_code,
        null::text as account_timezone
    where false
{%- endset %}

with

google_accounts as (

    {% if source_exists('google_ads', 'google_ads__accounts') %}
        select
            'google_ads' as platform,
            record_id as account_id,
            record -> 'customer' ->> 'descriptiveName' as account_name,
            record -> 'customer' ->> 'currencyCode' as currency_code,
            record -> 'customer' ->> 'timeZone' as account_timezone
        from ({{ latest_versions(source('google_ads', 'google_ads__accounts')) }}) as latest
    {% else %}
        {{ no_accounts }}
    {% endif %}
),

meta_accounts as (

    {% if source_exists('meta_ads', 'meta_ads__accounts') %}
        select
            'meta_ads' as platform,
            record_id as account_id,
            record ->> 'name' as account_name,
            record ->> 'currency' as currency_code,
            record ->> 'timezone_name' as account_timezone
        from ({{ latest_versions(source('meta_ads', 'meta_ads__accounts')) }}) as latest
    {% else %}
        {{ no_accounts }}
    {% endif %}
),

linkedin_accounts as (

    {% if source_exists('linkedin_ads', 'linkedin_ads__accounts') %}
        select
            'linkedin_ads' as platform,
            record_id as account_id,
            record ->> 'name' as account_name,
            record ->> 'currency' as currency_code,
            'UTC' as account_timezone
        from ({{ latest_versions(source('linkedin_ads', 'linkedin_ads__accounts')) }}) as latest
    {% else %}
        {{ no_accounts }}
    {% endif %}
),

unioned as (

    select * from google_accounts
    union all
    select * from meta_accounts
    union all
    select * from linkedin_accounts

)

select * from unioned
