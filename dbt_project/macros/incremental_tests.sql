{#- Data tests of a carried incremental table check what this night rebuilt.

    The rows a night carries over were tested the night they were built (a night whose tests fail is not
    published, and only published tables are carried), and nothing has changed them since. So on an incremental
    table a row-level test (`not_null`, `accepted_values`) checks the rows rebuilt tonight, and a uniqueness
    test whose columns include the model's `unique_key` checks every row of the keys rebuilt tonight (a
    duplicate shares its key, and a rebuilt key had all its rows replaced). Other tests, relationships among
    them, check every row. A table built in full has every row rebuilt, so every row is tested.

    "Tonight" is from when the pipeline prepared the build, recorded in the layer's `_incremental_state`
    (warehouse/incremental.py), on the warehouse's clock like `_transformed_at`. Without that table (a dbt
    build outside the pipeline) every row is tested. This overrides dbt's own `get_where_subquery`, which every
    generic test calls on the relation it tests, and keeps the test's own `where` config. -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where'), rebuilt_rows_condition(relation)] | select | list -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The condition that restricts the current test to what tonight rebuilt, or '' when it must see every row. -#}
{% macro rebuilt_rows_condition(relation) -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') if execute else none -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- if tested is none or tested.config.materialized != 'incremental' -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set state = adapter.get_relation(relation.database, relation.schema, '_incremental_state') -%}
    {%- if state is none -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set rebuilt = '_transformed_at >= (select max(state.recorded_at) from ' ~ state ~ ' as state)' -%}
    {%- set key = tested.config.unique_key -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- set columns = [kwargs.get('column_name')] if kwargs.get('column_name') else (kwargs.get('columns') or []) -%}
    {%- if test.get('name') in ['not_null', 'accepted_values'] -%}
        {%- do return(rebuilt) -%}
    {%- elif test.get('name') in ['unique', 'unique_combination'] and key in columns -%}
        {%- do return(key ~ ' in (select ' ~ key ~ ' from ' ~ relation ~ ' where ' ~ rebuilt ~ ')') -%}
    {%- endif -%}
    {%- do return('') -%}
{%- endmacro %}
