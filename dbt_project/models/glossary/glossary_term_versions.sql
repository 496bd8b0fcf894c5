{#- Each agreed term's last change: the newest definitions version (CHANGELOG.md) that names it. -#}
with

changes as (

    select * from {{ ref('glossary_definition_changes') }}

),

ranked as (

    select
        term,
        definitions_version,
        changed_on,
        summary,
        row_number() over (
            partition by term
            order by string_to_array(definitions_version, '.')::int[] desc
        ) as change_rank
    from changes

)

select
    term,
    definitions_version as last_changed_in_version,
    changed_on as last_changed,
    summary as last_change_summary
from ranked
where change_rank = 1
