{#- Incremental staging over the append-only raw tables.

    A HubSpot staging model is built from the latest version of each raw record. Once it exists, a night
    rebuilds only the records that may have a new latest version: those with a row in a load batch that had
    not finished when the model last ran, and those with a version that only this night's `as_of` lets in.
    Their rows are deleted and rebuilt from all their raw versions (strategy `replace_records`, below), so a
    record whose new version yields fewer rows (an association removed) loses the old ones, and the result
    equals a full build's.

    Every row carries `_raw_table` (the raw table of its record), `_cursor_value` (the cursor of the version
    it came from) and `_transformed_at` (when it was built); the model's maxima of the last two are its
    watermarks, and both err towards rebuilding more records, never fewer. The changed records are collected
    once per run into a temporary table (`collect_changed_records`, a pre-hook), which the model and the
    delete both read: a batch committing mid-run cannot make them disagree.

    The pipeline carries each incremental table from the published schema into the night's build schema and
    drops it instead when its code or dbt_project.yml changed or `as_of` moved back (warehouse/incremental.py),
    so such a night builds it in full. -#}

{#- A staging model's config: `unique_key` is its record id column, `raw_tables` the (source, table) pairs
    its records come from. -#}
{% macro incremental_staging_config(unique_key, raw_tables) %}
    {{ replacing_incremental_config(
        unique_key,
        'replace_records',
        '{{ collect_changed_records(' ~ (raw_tables | tojson) ~ ') }}',
        watermarks=['_transformed_at', '_cursor_value'],
    ) }}
{% endmacro %}

{#- The config both kinds of carried incremental models share: a strategy that replaces every row of the
    changed keys, which a pre-hook collects (macros/incremental_facts.sql has the other kind), and indexes on
    those keys and on the watermark columns, so that a night finds and replaces the changed rows without
    reading the whole table. A full build creates the indexes; they travel with a table moved into the next
    build, and warehouse/incremental.py makes them again on a copy. -#}
{% macro replacing_incremental_config(unique_key, strategy, collect_changed_hook, watermarks=['_transformed_at']) %}
{%- set indexes = [] -%}
{%- for column in [unique_key] + watermarks -%}
{%- do indexes.append({'columns': [column]}) -%}
{%- endfor -%}
    {{ config(
        materialized='incremental',
        unique_key=unique_key,
        incremental_strategy=strategy,
        on_schema_change='fail',
        pre_hook=collect_changed_hook,
        indexes=indexes,
    ) }}
{% endmacro %}

{#- The temporary table of changed records of this run (dropped at commit). -#}
{% macro changed_records_table() %}{{ this.identifier }}__changed{% endmacro %}

{#- Pre-hook: (raw table, record id) of every record whose latest version may have changed since the model
    last ran; a no-op on a full build. -#}
{% macro collect_changed_records(raw_tables) %}
{% if is_incremental() %}
        create temporary table {{ changed_records_table() }} on commit drop as
        with

        watermarks as (
            select
                coalesce(max(_transformed_at), '-infinity') as transformed_at,
                coalesce(max(_cursor_value), '-infinity') as cursor_value
            from {{ this }}
        ),

        unfinished_batches as (
            select batches.batch_id
            from {{ source('extractors', '_batches') }} as batches
            where
                batches.finished_at is null
                or batches.finished_at >= (select watermarks.transformed_at from watermarks)
        )

        {% for source_name, table_name in raw_tables %}
            select distinct
                '{{ table_name }}' as raw_table,
                raw_rows.record_id
            from {{ source(source_name, table_name) }} as raw_rows
            where
                raw_rows.batch_id in (select unfinished_batches.batch_id from unfinished_batches)
                or (
                    raw_rows.cursor_value > (select watermarks.cursor_value from watermarks)
                    and raw_rows.cursor_value <= {{ as_of() }}
                )
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
{% else %}
        select 1
{% endif %}
{% endmacro %}

{#- In a model: restrict the raw rows of `relation` to the changed records (on an incremental run). -#}
{% macro only_changed_records(relation, alias='raw_rows') %}
{% if is_incremental() %}
        and {{ alias }}.record_id in (
            select changed.record_id
            from {{ changed_records_table() }} as changed
            where changed.raw_table = '{{ relation.identifier }}'
        )
{% endif %}
{% endmacro %}

{#- The lineage columns every incremental staging row carries (see above); `alias` qualifies the version's
    cursor where the select joins several tables. -#}
{% macro incremental_lineage_columns(relation, alias=none) %}
    '{{ relation.identifier }}'::text as _raw_table,
    {% if alias %}{{ alias }}.{% endif %}cursor_value as _cursor_value,
    current_timestamp as _transformed_at
{% endmacro %}

{#- Strategy `replace_records`: delete every row of the changed records, insert their rebuilt rows. -#}
{% macro get_incremental_replace_records_sql(arg_dict) %}
{% set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    delete from {{ arg_dict['target_relation'] }} as target
    where (target._raw_table, target.{{ arg_dict['unique_key'] }}) in (
        select
            changed.raw_table,
            changed.record_id
        from {{ changed_records_table() }} as changed
    );
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }};
{% endmacro %}
