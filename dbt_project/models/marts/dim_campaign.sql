{#- One row per campaign BI can filter on: every ad campaign the platforms reported delivery for, and every other
    `utm_campaign` value the CRM's touch points carry (newsletters, organic social, partner listings). First and
    last day span both: delivery days (the platform's calendar) and touch days (the reporting calendar). -#}
with

ad_campaigns as (

    select * from {{ ref('int_ad_campaigns') }}

),

touch_points as (

    select * from {{ ref('int_touch_points') }}

),

touched_campaigns as (

    select
        campaign_id,
        mode() within group (order by channel) as channel,
        min((touched_at at time zone '{{ var("reporting_timezone") }}')::date) as first_touch_date,
        max((touched_at at time zone '{{ var("reporting_timezone") }}')::date) as last_touch_date
    from touch_points
    group by campaign_id

),

campaigns as (

    select
        coalesce(ad_campaigns.campaign_id, touched_campaigns.campaign_id) as campaign_id,
        case
            when ad_campaigns.campaign_id is not null then ad_campaigns.campaign_name
            else touched_campaigns.campaign_id
        end as campaign_name,
        ad_campaigns.platform,
        ad_campaigns.account_id,
        coalesce(ad_campaigns.channel, touched_campaigns.channel) as channel,
        ad_campaigns.campaign_id is not null as is_ad_campaign,
        touched_campaigns.campaign_id is not null as has_touch_points,
        least(ad_campaigns.first_report_date, touched_campaigns.first_touch_date) as first_day,
        greatest(ad_campaigns.last_report_date, touched_campaigns.last_touch_date) as last_day
    from ad_campaigns
    full outer join touched_campaigns
        on ad_campaigns.campaign_id = touched_campaigns.campaign_id

)

select
    campaign_id,
    campaign_name,
    platform,
    account_id,
    channel,
    is_ad_campaign,
    has_touch_points,
    first_day,
    last_day
from campaigns
