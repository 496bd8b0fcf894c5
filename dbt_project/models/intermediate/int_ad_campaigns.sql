{#- The ad campaigns the platforms reported delivery for by `as_of`: one row per campaign with its platform,
    account, latest reported name, channel and first and last day of delivery. -#}
with

ad_spend as (

    select * from {{ ref('int_ad_spend_daily') }}

),

campaign_days_ranked as (

    select
        ad_spend.*,
        row_number() over (
            partition by ad_spend.platform, ad_spend.campaign_id
            order by (ad_spend.campaign_name is null), ad_spend.report_date desc
        ) as recency_rank
    from ad_spend

),

campaigns as (

    select
        platform,
        campaign_id,
        min(account_id) as account_id,
        min(channel) as channel,
        min(currency_code) as currency_code,
        min(campaign_name) filter (where recency_rank = 1) as campaign_name,
        min(report_date) as first_report_date,
        max(report_date) as last_report_date
    from campaign_days_ranked
    group by platform, campaign_id

)

select * from campaigns
