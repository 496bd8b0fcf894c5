{#- One row per account: active companies deduplicated by domain (the earliest-created company of a domain
    stands for it), with industry group and size band. -#}
with

companies as (

    select * from {{ ref('int_companies_classified') }}

),

ranked as (

    select
        companies.*,
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
    company_id as account_id,
    company_domain,
    company_name,
    industry_group,
    company_size_band,
    employee_count,
    account_tier,
    company_records,
    created_at
from ranked
where domain_rank = 1
