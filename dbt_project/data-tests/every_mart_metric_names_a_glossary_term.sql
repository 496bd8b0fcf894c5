{#- Every numeric column of a published mart must name an agreed term (`meta.glossary_term`) that exists in
    the glossary: returns one row per column that does not. -#}
{%- set numeric_types = ['integer', 'bigint', 'smallint', 'numeric', 'double precision', 'real'] -%}
{%- set mart_columns = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and 'marts' in node.fqn -%}
        {%- for column in node.columns.values() -%}
            {%- if (column.data_type or '').split('(')[0] | lower in numeric_types -%}
                {%- do mart_columns.append((node.name, column.name, column.meta.get('glossary_term', ''))) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif %}

with

terms as (

    select term from {{ ref('glossary_terms') }}

),

mart_metric_columns as (

    {% for model_name, column_name, term in mart_columns %}
    select
        '{{ model_name }}' as model_name,
        '{{ column_name }}' as column_name,
        '{{ term }}' as glossary_term
    {% if not loop.last %}union all{% endif %}
    {% else %}
    select
        null as model_name,
        null as column_name,
        null as glossary_term
    where false
    {% endfor %}

)

select mart_metric_columns.*
from mart_metric_columns
left join terms
    on mart_metric_columns.glossary_term = terms.term
where terms.term is null
