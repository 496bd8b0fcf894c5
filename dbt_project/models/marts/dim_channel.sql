{#- One row per agreed marketing channel, for BI filters and labels. -#}
with

channels as (

    select * from {{ ref('glossary_channels') }}

)

select
    channel,
    label,
    is_paid,
    owning_teams,
    definition
from channels
