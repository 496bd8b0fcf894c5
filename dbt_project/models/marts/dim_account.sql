{#- One row per account: active companies deduplicated by domain (the earliest-created company of a domain
    stands for it), with industry group and size band. -#}
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

ranked as (

    select
        companies.*,
        coalesce(companies.company_domain, 'hubspot-company:' || companies.company_id) as account_key,
        row_number() over (
            partition by coalesce(companies.company_domain, 'hubspot-company:' || companies.company_id)
            order by companies.created_at, companies.company_id
        ) as domain_rank,
        count(*) over (
            partition by coalesce(companies.company_domain, 'hubspot-company:' || companies.company_id)
        ) as company_records
    from companies

)

select
    ranked.company_id as account_id,
    ranked.company_domain,
    ranked.company_name,
    coalesce(industry_groups.industry_group, 'unknown') as industry_group,
    coalesce(size_bands.company_size_band, 'unknown') as company_size_band,
    ranked.employee_count,
    ranked.account_tier,
    ranked.company_records,
    ranked.created_at
from ranked
left join industry_groups
    on ranked.industry = industry_groups.industry
left join size_bands
    on ranked.employee_count between size_bands.min_employees and size_bands.max_employees
where ranked.domain_rank = 1
