{#- The definitions version in force: the newest row of CHANGELOG.md's "Definition changes" (kept in the seed
    glossary_definition_changes by `python -m impact changelog --sync`). One row; marts can cross join it to
    record which definitions produced them. -#}
with

changes as (

    select * from {{ ref('glossary_definition_changes') }}

),

versions as (

    select
        definitions_version,
        max(changed_on) as changed_on,
        count(*) as terms_changed,
        string_agg(term, ', ' order by term) as terms
    from changes
    group by definitions_version

),

ranked as (

    select
        versions.*,
        row_number() over (
            order by string_to_array(versions.definitions_version, '.')::int[] desc
        ) as version_rank
    from versions

)

select
    definitions_version,
    changed_on,
    terms_changed,
    terms
from ranked
where version_rank = 1
