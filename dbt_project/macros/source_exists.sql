{#- Whether a source table exists in the warehouse: a company that buys no media on a platform never loads
    that platform's raw tables, and its models then contribute no rows instead of failing the build. -#}
{% macro source_exists(source_name, table_name) %}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {{ return(found is not none) }}
{% endmacro %}
