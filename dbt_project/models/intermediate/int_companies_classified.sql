{#- Active companies with the agreed industry group and company size band (`unknown` when the company lacks
    the field or the glossary has no group for its value). -#}
with

companies as (

    select * from {{ ref('stg_hubspot__companies') }}
    where not is_archived

),

industry_groups as (

    select * from {{ ref('glossary_industry_groups') }}
    where source_system = 'hubspot'

),

size_bands as (

    select * from {{ ref('glossary_company_size_bands') }}

),

classified as (

    select
        companies.company_id,
        companies.company_name,
        companies.company_domain,
        companies.industry,
        companies.employee_count,
        companies.account_tier,
        companies.created_at,
        companies.updated_at,
        companies.is_archived,
        coalesce(industry_groups.industry_group, 'unknown') as industry_group,
        coalesce(size_bands.company_size_band, 'unknown') as company_size_band
    from companies
    left join industry_groups
        on companies.industry = industry_groups.industry
    left join size_bands
        on companies.employee_count between size_bands.min_employees and size_bands.max_employees

)

select * from classified
