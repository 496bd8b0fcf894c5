{#- Associations between HubSpot objects (v4 batch read results, one raw row per "from" record). -#}
{%- set pairs = [
    ('contact', 'company', 'hubspot__contacts_to_companies'),
    ('contact', 'deal', 'hubspot__contacts_to_deals'),
    ('deal', 'contact', 'hubspot__deals_to_contacts'),
    ('call', 'contact', 'hubspot__calls_to_contacts'),
    ('email', 'contact', 'hubspot__emails_to_contacts'),
    ('meeting', 'contact', 'hubspot__meetings_to_contacts'),
] -%}
{%- set raw_tables = [] -%}
{%- for pair in pairs %}{% do raw_tables.append(("hubspot", pair[2])) %}{% endfor -%}
{{ incremental_staging_config('from_object_id', raw_tables) }}

with

{% for from_type, to_type, table in pairs %}
    {{ from_type }}_to_{{ to_type }} as (

        select
            '{{ from_type }}' as from_object_type,
            latest.record_id as from_object_id,
            '{{ to_type }}' as to_object_type,
            associated.association ->> 'toObjectId' as to_object_id,
            coalesce(
                associated.association -> 'associationTypes' @> '[{"label": "Primary"}]'::jsonb, false
            ) as is_primary,
            {{ incremental_lineage_columns(source('hubspot', table), 'latest') }}
        from ({{ latest_versions(source('hubspot', table)) }}) as latest
        cross join
            lateral
            jsonb_array_elements(coalesce(latest.record -> 'to', '[]'::jsonb)) as associated (association)

    ),

{% endfor %}
unioned as (

    {% for from_type, to_type, table in pairs %}
        select * from {{ from_type }}_to_{{ to_type }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
