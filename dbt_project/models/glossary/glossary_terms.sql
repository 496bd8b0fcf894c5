{#- The published glossary: one row per agreed term, what it means, who owns it, where it is implemented, and
    the definitions version (CHANGELOG.md) that last changed it. -#}
with

terms as (

    select * from {{ ref('glossary_term_definitions') }}

),

term_versions as (

    select * from {{ ref('glossary_term_versions') }}

),

version_in_force as (

    select * from {{ ref('definitions_version') }}

)

select
    terms.term,
    terms.definition,
    terms.owning_teams,
    terms.implemented_by,
    coalesce(term_versions.last_changed, terms.last_changed) as last_changed,
    term_versions.last_changed_in_version,
    version_in_force.definitions_version
from terms
left join term_versions
    on terms.term = term_versions.term
cross join version_in_force
