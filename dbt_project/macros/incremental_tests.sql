{#- Data tests of a carried incremental table check what this night rebuilt.

    The rows a night carries over come from a table whose tests passed (a night whose tests fail is not
    published, and only published builds are carried or kept), and nothing has changed them since. So on an
    incremental table a row-level test (`not_null`, `accepted_values`) checks the rows rebuilt tonight. A
    uniqueness test (`unique`, `unique_combination`) checks every row sharing a value of one of its columns
    (the model's `unique_key` when it is one of them) with a row rebuilt tonight, and every row where that value
    is null: a duplicate group shares that value, so a group with a rebuilt row is seen whole, and a group of
    carried rows alone was already in the table that passed. Other tests, relationships among them, check every
    row. A table with no carried row (built in full) is tested whole, as in a full build.

    "Tonight" is from when the pipeline prepared the build, recorded in the layer's `_incremental_state`
    (warehouse/incremental.py), on the warehouse's clock like `_transformed_at`. It is read when the test
    compiles and written into the test as a literal, so the planner sees how few rows it selects and uses the
    table's index on `_transformed_at` instead of reading the whole table; the null rows are a branch of their
    own (`union all`), as an `or` would keep Postgres from a hashed semi-join. Without that table (a dbt build
    outside the pipeline) every row is tested. This overrides dbt's own `get_where_subquery`, which every
    generic test calls on the relation it tests, and keeps the test's own `where` config. -#}
{% macro get_where_subquery(relation) -%}
    {%- set own = config.get('where') -%}
    {%- set branches = rebuilt_rows_branches(relation) or [none] -%}
    {%- if not own and branches == [none] -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set selects = [] -%}
    {%- for branch in branches -%}
        {%- set conditions = [own, branch] | select | join(' and ') -%}
        {%- do selects.append('select * from ' ~ relation ~ ' where ' ~ conditions) -%}
    {%- endfor -%}
    {%- do return('(' ~ selects | join(' union all ') ~ ') dbt_subquery') -%}
{%- endmacro %}

{#- The conditions of the disjoint parts of the tested relation the current test must see, or [] when it
    must see every row. -#}
{% macro rebuilt_rows_branches(relation) -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '') if execute else none -%}
    {%- set test = model.get('test_metadata') or {} -%}
    {%- if tested is none or tested.config.materialized != 'incremental' -%}
        {%- do return([]) -%}
    {%- endif -%}
    {%- set kwargs = test.get('kwargs') or {} -%}
    {%- set columns = [kwargs.get('column_name')] if kwargs.get('column_name') else (kwargs.get('columns') or []) -%}
    {%- set row_level = test.get('name') in ['not_null', 'accepted_values'] -%}
    {%- set uniqueness = test.get('name') in ['unique', 'unique_combination'] and columns -%}
    {%- set night_started = carried_rows_since(relation) if row_level or uniqueness else none -%}
    {%- if night_started is none -%}
        {%- do return([]) -%}
    {%- endif -%}
    {%- set rebuilt = "_transformed_at >= '" ~ night_started ~ "'::timestamptz" -%}
    {%- if row_level -%}
        {%- do return([rebuilt]) -%}
    {%- endif -%}
    {%- set shared = tested.config.unique_key if tested.config.unique_key in columns else columns[0] -%}
    {%- do return([
        shared ~ ' in (select ' ~ shared ~ ' from ' ~ relation ~ ' where ' ~ rebuilt ~ ')',
        shared ~ ' is null',
    ]) -%}
{%- endmacro %}

{#- When tonight's build was prepared (the text of a timestamptz), from the tested relation's layer state;
    none when the layer has no state or the relation holds no row from before (it was built in full). -#}
{% macro carried_rows_since(relation) -%}
    {%- set state = adapter.get_relation(relation.database, relation.schema, '_incremental_state') -%}
    {%- if state is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set found = run_query(
        'select night.started::text from (select max(recorded_at) as started from ' ~ state ~ ') as night'
        ~ ' where exists (select from ' ~ relation ~ ' as carried where carried._transformed_at < night.started)'
    ) -%}
    {%- do return(found.columns[0].values()[0] if found.rows else none) -%}
{%- endmacro %}
