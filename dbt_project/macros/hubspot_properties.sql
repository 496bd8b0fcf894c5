{#- HubSpot returns every property value as a string (or null): these read one typed. -#}
{% macro hs_text(property) -%}
    nullif(record -> 'properties' ->> '{{ property }}', '')
{%- endmacro %}

{% macro hs_timestamp(property) -%}
    ({{ hs_text(property) }})::timestamptz
{%- endmacro %}

{% macro hs_integer(property) -%}
    round(({{ hs_text(property) }})::numeric)::bigint
{%- endmacro %}

{% macro hs_numeric(property) -%}
    ({{ hs_text(property) }})::numeric
{%- endmacro %}

{% macro hs_boolean(property) -%}
    ({{ hs_text(property) }})::boolean
{%- endmacro %}
