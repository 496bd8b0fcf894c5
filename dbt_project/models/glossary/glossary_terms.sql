{#- The published glossary: one row per agreed term, what it means, who owns it, where it is implemented. -#}
with

terms as (

    select * from {{ ref('glossary_term_definitions') }}

)

select
    term,
    definition,
    owning_teams,
    implemented_by,
    last_changed
from terms
