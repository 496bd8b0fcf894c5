{#- Per reporting month, channel, campaign and attribution model: what the campaign cost and delivered (spend in
    the reporting currency, impressions, clicks; the same for every model) and the conversions and won revenue
    the model credits to it, with CAC and ROAS. Spend counts in the month of the day the platform reports it
    under; attributed conversions in the month of the conversion (reporting time zone). -#}
with

ad_spend as (

    select * from {{ ref('int_ad_spend_daily') }}

),

attributed as (

    select * from {{ ref('int_conversions_attributed') }}

),

attribution_models as (

    select * from {{ ref('glossary_attribution_models') }}

),

campaigns as (

    select * from {{ ref('dim_campaign') }}

),

version_in_force as (

    select * from {{ ref('definitions_version') }}

),

monthly_delivery as (

    select
        date_trunc('month', report_date)::date as month_start,
        channel,
        campaign_id,
        sum(spend_in_reporting_currency) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from ad_spend
    group by date_trunc('month', report_date), channel, campaign_id

),

delivery_events as (

    -- Delivery is the same whatever the model: one copy per model, so each model's rows add up to all spend.
    select
        monthly_delivery.month_start,
        monthly_delivery.channel,
        monthly_delivery.campaign_id,
        attribution_models.attribution_model,
        monthly_delivery.spend,
        monthly_delivery.impressions,
        monthly_delivery.clicks,
        0 as attributed_mqls,
        0 as attributed_opportunities,
        0 as attributed_customers,
        0 as attributed_revenue
    from monthly_delivery
    cross join attribution_models

),

attribution_events as (

    select
        {{ reporting_month('converted_at') }} as month_start,
        channel,
        campaign_id,
        attribution_model,
        0 as spend,
        0 as impressions,
        0 as clicks,
        case when conversion_type = 'mql' then attribution_weight else 0 end as attributed_mqls,
        case when conversion_type = 'opportunity' then attribution_weight else 0 end as attributed_opportunities,
        case when conversion_type = 'customer' then attribution_weight else 0 end as attributed_customers,
        coalesce(attributed_revenue, 0) as attributed_revenue
    from attributed

),

all_events as (

    select * from delivery_events
    union all
    select * from attribution_events

),

monthly as (

    select
        month_start,
        channel,
        campaign_id,
        attribution_model,
        round(sum(spend), 2)::numeric(18, 2) as spend,
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(attributed_mqls)::numeric(18, 6) as attributed_mqls,
        sum(attributed_opportunities)::numeric(18, 6) as attributed_opportunities,
        sum(attributed_customers)::numeric(18, 6) as attributed_customers,
        sum(attributed_revenue)::numeric(18, 2) as attributed_revenue
    from all_events
    group by month_start, channel, campaign_id, attribution_model

),

with_ratios as (

    -- No spend or no attributed customer: no CAC; no spend: no ROAS (never a division by zero).
    select
        monthly.*,
        case
            when monthly.spend > 0 and monthly.attributed_customers > 0
                then round(monthly.spend / monthly.attributed_customers, 2)
        end::numeric(18, 2) as cac,
        case
            when monthly.spend > 0 then round(monthly.attributed_revenue / monthly.spend, 4)
        end::numeric(18, 4) as roas
    from monthly

)

select
    with_ratios.month_start,
    with_ratios.channel,
    with_ratios.campaign_id,
    with_ratios.attribution_model,
    campaigns.platform,
    with_ratios.spend,
    with_ratios.impressions,
    with_ratios.clicks,
    with_ratios.attributed_mqls,
    with_ratios.attributed_opportunities,
    with_ratios.attributed_customers,
    with_ratios.attributed_revenue,
    with_ratios.cac,
    with_ratios.roas,
    '{{ var("reporting_currency") }}' as reporting_currency,
    version_in_force.definitions_version
from with_ratios
left join campaigns
    on with_ratios.campaign_id = campaigns.campaign_id
cross join version_in_force
