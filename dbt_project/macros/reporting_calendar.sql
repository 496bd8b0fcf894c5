{#- The reporting calendar every mart shares: weeks start on Monday in `reporting_timezone`. -#}
{% macro reporting_week(timestamp_expression) -%}
    date_trunc('week', ({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}')::date
{%- endmacro %}

{#- Months of the reporting calendar start on the 1st in `reporting_timezone`. -#}
{% macro reporting_month(timestamp_expression) -%}
    date_trunc('month', ({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}')::date
{%- endmacro %}

{#- The instant the numbers are "as of": the environment variable SMARKETING_AS_OF (the DAG passes its data
    interval's end, so a backfilled night sees exactly what that night saw), else the time of the build.
    Not a var, and read only when executing: a var that changes every night, or an env_var read while parsing,
    makes dbt reparse the files that use it (all of them for a var: 5.1 s instead of 3.1 s for a night's start). -#}
{% macro as_of() -%}
    {%- if execute and env_var('SMARKETING_AS_OF', '') -%}
        '{{ env_var("SMARKETING_AS_OF") }}'::timestamptz
    {%- else -%}
        current_timestamp
    {%- endif -%}
{%- endmacro %}
