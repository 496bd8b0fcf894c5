{#- Calls, emails and meetings: the sales touches the SLA is measured on. -#}
{%- set engagement_types = {'call': 'hubspot__calls', 'email': 'hubspot__emails', 'meeting': 'hubspot__meetings'} -%}
{%- set raw_tables = [] -%}
{%- for table in engagement_types.values() %}{% do raw_tables.append(("hubspot", table)) %}{% endfor -%}
{{ incremental_staging_config('engagement_id', raw_tables) }}

with

{% for engagement_type, table in engagement_types.items() %}
    latest_{{ engagement_type }}s as (

        select
            record_id as engagement_id,
            '{{ engagement_type }}' as engagement_type,
            {{ hs_timestamp('hs_timestamp') }} as occurred_at,
            {{ hs_text('hubspot_owner_id') }} as owner_id,
            {{ hs_timestamp('hs_createdate') }} as created_at,
            is_deleted as is_archived,
            {{ incremental_lineage_columns(source('hubspot', table)) }}
        from ({{ latest_versions(source('hubspot', table)) }}) as latest

    ),

{% endfor %}
unioned as (

    {% for engagement_type in engagement_types %}
        select * from latest_{{ engagement_type }}s
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
