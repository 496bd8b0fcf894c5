{#- The reporting calendar every mart shares: weeks start on Monday in `reporting_timezone`. -#}
{% macro reporting_week(timestamp_expression) -%}
    date_trunc('week', ({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}')::date
{%- endmacro %}

{#- Months of the reporting calendar start on the 1st in `reporting_timezone`. -#}
{% macro reporting_month(timestamp_expression) -%}
    date_trunc('month', ({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}')::date
{%- endmacro %}

{#- The instant the numbers are "as of": the `as_of` var (the DAG passes its data interval's end, so a
    backfilled night sees exactly what that night saw), else the time of the build. -#}
{% macro as_of() -%}
    {%- if var('as_of', none) -%}
        '{{ var("as_of") }}'::timestamptz
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}
