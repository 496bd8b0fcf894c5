{#- One rate per currency and day: the agreed rate valid that day (the latest `valid_from` not after it). -#}
with

rates as (

    select * from {{ ref('glossary_fx_rates') }}

),

rates_with_validity as (

    select
        currency_code,
        valid_from,
        coalesce(
            lead(valid_from) over (partition by currency_code order by valid_from) - 1,
            date '2099-12-31'
        ) as valid_to,
        rate_to_reporting_currency
    from rates

)

select
    currency_code,
    valid_from,
    valid_to,
    rate_to_reporting_currency,
    '{{ var("reporting_currency") }}' as reporting_currency
from rates_with_validity
