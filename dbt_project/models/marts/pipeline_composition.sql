{#- What sales brings to the weekly review: the open pipeline as of the run, by industry group, company size,
    buyer persona, deal stage and owner, in the reporting currency and weighted by the stage's probability. -#}
with

deals as (

    select * from {{ ref('int_deals_in_reporting_currency') }}

),

deal_attributes as (

    select * from {{ ref('stg_hubspot__deals') }}

),

contacts as (

    select * from {{ ref('int_contacts_joined_to_companies') }}

),

pipeline_stages as (

    select * from {{ ref('stg_hubspot__deal_pipeline_stages') }}

),

open_deals as (

    select
        deals.deal_id,
        deals.amount_in_reporting_currency,
        deal_attributes.deal_stage,
        deal_attributes.owner_id,
        pipeline_stages.win_probability,
        contacts.industry_group,
        contacts.company_size_band,
        contacts.persona
    from deals
    inner join deal_attributes
        on deals.deal_id = deal_attributes.deal_id
    inner join contacts
        on deals.contact_id = contacts.contact_id
    inner join pipeline_stages
        on
            deal_attributes.pipeline_id = pipeline_stages.pipeline_id
            and deal_attributes.deal_stage = pipeline_stages.deal_stage
    where
        not pipeline_stages.is_closed
        and deals.created_at <= {{ as_of() }}

),

composition as (

    select
        ({{ as_of() }} at time zone '{{ var("reporting_timezone") }}')::date as snapshot_date,
        industry_group,
        company_size_band,
        persona,
        deal_stage,
        coalesce(owner_id, 'unassigned') as owner_id,
        count(*) as open_deals,
        sum(amount_in_reporting_currency)::numeric(18, 2) as pipeline_amount,
        sum(amount_in_reporting_currency * win_probability)::numeric(18, 2) as weighted_pipeline_amount
    from open_deals
    group by industry_group, company_size_band, persona, deal_stage, coalesce(owner_id, 'unassigned')

)

select
    snapshot_date,
    industry_group,
    company_size_band,
    persona,
    deal_stage,
    owner_id,
    open_deals,
    pipeline_amount,
    weighted_pipeline_amount,
    '{{ var("reporting_currency") }}' as reporting_currency
from composition
