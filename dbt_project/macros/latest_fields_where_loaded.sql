{#- Top-level text fields of the latest version of each record of a source table, as {json key: column}, or no
    rows when the table was never loaded (a platform the company does not buy from, a stream added later). -#}
{% macro latest_fields_where_loaded(source_name, table_name, fields) %}
    {%- set loaded = [] -%}
    {%- set missing = [] -%}
    {%- for key, column in fields.items() -%}
        {%- do loaded.append("latest.record ->> '" ~ key ~ "' as " ~ column) -%}
        {%- do missing.append("null::text as " ~ column) -%}
    {%- endfor -%}
    {%- if source_exists(source_name, table_name) -%}
        select {{ loaded | join(', ') }}
        from ({{ latest_versions(source(source_name, table_name)) }}) as latest
    {%- else -%}
        select {{ missing | join(', ') }}
        where false
    {%- endif -%}
{% endmacro %}
