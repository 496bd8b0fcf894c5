{#- The channel taxonomy as rules: for each source value the first matching rule (lowest priority number) wins. -#}
with

rules as (

    select * from {{ ref('glossary_channel_rules') }}

),

channels as (

    select * from {{ ref('glossary_channels') }}

),

rules_with_channel as (

    select
        rules.rule_priority,
        rules.source_system,
        rules.source_field,
        rules.match_pattern,
        rules.channel,
        channels.is_paid
    from rules
    inner join channels
        on rules.channel = channels.channel

)

select * from rules_with_channel
