{#- Ad spend per platform, account, campaign and reported day that was over by `as_of`, converted to the
    reporting currency at the agreed rate of that day (not rounded here: totals are rounded once, where they
    are reported), with the channel the platform belongs to. -#}
with

accounts as (

    select * from {{ ref('stg_ads__accounts') }}

),

campaign_days as (

    -- A day counts once it is over in the account's time zone by `as_of`: a backfilled night does not see
    -- a day that later nights loaded but that was still running at its midnight.
    select campaign_days.*
    from {{ ref('stg_ads__campaign_days') }} as campaign_days
    inner join accounts
        on
            campaign_days.platform = accounts.platform
            and campaign_days.account_id = accounts.account_id
    where ((campaign_days.report_date + 1)::timestamp at time zone accounts.account_timezone) <= {{ as_of() }}

),

platforms as (

    select * from {{ ref('glossary_ad_platforms') }}

),

fx_rates as (

    select * from {{ ref('glossary_fx_rate_periods') }}

),

converted as (

    select
        campaign_days.platform,
        platforms.channel,
        campaign_days.account_id,
        campaign_days.campaign_id,
        campaign_days.campaign_name,
        campaign_days.report_date,
        campaign_days.spend,
        campaign_days.currency_code,
        campaign_days.spend * fx_rates.rate_to_reporting_currency as spend_in_reporting_currency,
        campaign_days.impressions,
        campaign_days.clicks,
        campaign_days.conversions
    from campaign_days
    inner join platforms
        on campaign_days.platform = platforms.platform
    left join fx_rates
        on
            campaign_days.currency_code = fx_rates.currency_code
            and campaign_days.report_date between fx_rates.valid_from and fx_rates.valid_to

)

select * from converted
