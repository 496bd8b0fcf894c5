{#- Generic test: no two rows share the same values in `columns` (dbt_utils' unique_combination_of_columns,
    kept here because the project installs no dbt packages: `dbt deps` would need the dbt hub). -#}
{% test unique_combination(model, columns) %}
select
    {{ columns | join(', ') }},
    count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
