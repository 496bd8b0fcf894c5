{#- Every marketing touch point of every person by `as_of`: an instant at which a tagged form submission wrote
    the UTM fields of one of their active contacts (the fields' property history). At a touch, each UTM field
    holds the value written then, or the one in force then when the submission left it out (HubSpot records no
    new version for an unchanged value). The channel comes from the first matching `utm` rule of the channel
    taxonomy; the campaign is the `utm_campaign` value, which our tracking templates fill with the ad platform's
    campaign id, so paid touches join the platforms' spend.
    Incremental: a night rebuilds the people whose contacts changed since, and those whose touches name a
    campaign the platforms now report differently (macros/incremental_facts.sql). -#}
{{ incremental_fact_config('person_key', 'changed_touch_point_people') }}
-- depends_on: {{ ref('stg_hubspot__contacts') }}

with

contacts as (

    select * from {{ ref('int_contacts_with_channel') }}
    where true {{ only_changed_keys('person_key') }}

),

utm_history as (

    select * from {{ ref('stg_hubspot__contact_property_history') }}
    where property_name in ('utm_source', 'utm_medium', 'utm_campaign', 'utm_content')

),

channel_rules as (

    select * from {{ ref('glossary_channel_mapping') }}
    where source_system = 'utm'

),

ad_campaigns as (

    select * from {{ ref('int_ad_campaigns') }}

),

utm_writes as (

    -- One row per contact and instant a form wrote UTM fields; a field it did not write is null here.
    select
        utm_history.contact_id,
        utm_history.changed_at as touched_at,
        bool_or(utm_history.property_name = 'utm_source') as writes_source,
        bool_or(utm_history.property_name = 'utm_medium') as writes_medium,
        bool_or(utm_history.property_name = 'utm_campaign') as writes_campaign,
        bool_or(utm_history.property_name = 'utm_content') as writes_content,
        min(utm_history.property_value) filter (where utm_history.property_name = 'utm_source') as written_source,
        min(utm_history.property_value) filter (where utm_history.property_name = 'utm_medium') as written_medium,
        min(utm_history.property_value) filter (
            where utm_history.property_name = 'utm_campaign'
        ) as written_campaign,
        min(utm_history.property_value) filter (where utm_history.property_name = 'utm_content') as written_content
    from utm_history
    inner join contacts
        on utm_history.contact_id = contacts.contact_id
    where utm_history.changed_at <= {{ as_of() }}
    group by utm_history.contact_id, utm_history.changed_at

),

utm_writes_numbered as (

    -- Each field's writes so far: a touch that left a field out shares its number with the write before it.
    select
        utm_writes.*,
        count(*) filter (where utm_writes.writes_source) over contact_timeline as source_write_number,
        count(*) filter (where utm_writes.writes_medium) over contact_timeline as medium_write_number,
        count(*) filter (where utm_writes.writes_campaign) over contact_timeline as campaign_write_number,
        count(*) filter (where utm_writes.writes_content) over contact_timeline as content_write_number
    from utm_writes
    window contact_timeline as (partition by utm_writes.contact_id order by utm_writes.touched_at)

),

utm_values_in_force as (

    select
        contact_id,
        touched_at,
        max(written_source) over (partition by contact_id, source_write_number) as utm_source,
        max(written_medium) over (partition by contact_id, medium_write_number) as utm_medium,
        max(written_campaign) over (partition by contact_id, campaign_write_number) as utm_campaign,
        max(written_content) over (partition by contact_id, content_write_number) as utm_content,
        writes_source or writes_medium or writes_campaign as is_touch
    from utm_writes_numbered

),

touches as (

    select
        utm_values_in_force.contact_id,
        contacts.person_key,
        utm_values_in_force.touched_at,
        lower(trim(utm_values_in_force.utm_source)) as utm_source,
        lower(trim(utm_values_in_force.utm_medium)) as utm_medium,
        coalesce(nullif(trim(utm_values_in_force.utm_campaign), ''), '(not set)') as campaign_id,
        utm_values_in_force.utm_content
    from utm_values_in_force
    inner join contacts
        on utm_values_in_force.contact_id = contacts.contact_id
    where utm_values_in_force.is_touch

),

rule_matches as (

    select
        touches.contact_id,
        touches.touched_at,
        channel_rules.channel,
        channel_rules.is_paid,
        row_number() over (
            partition by touches.contact_id, touches.touched_at order by channel_rules.rule_priority
        ) as match_rank
    from touches
    inner join channel_rules
        on
            (channel_rules.source_field = 'utm_source' and touches.utm_source like channel_rules.match_pattern)
            or (channel_rules.source_field = 'utm_medium' and touches.utm_medium like channel_rules.match_pattern)
            or (
                channel_rules.source_field = 'utm_campaign'
                and lower(touches.campaign_id) like channel_rules.match_pattern
            )

),

touches_with_channel as (

    select
        touches.contact_id || '@' || (extract(epoch from touches.touched_at) * 1000)::bigint as touch_id,
        touches.person_key,
        touches.contact_id,
        touches.touched_at,
        touches.utm_source,
        touches.utm_medium,
        touches.campaign_id,
        touches.utm_content,
        coalesce(rule_matches.channel, 'other') as channel,
        coalesce(rule_matches.is_paid, false) as is_paid_channel,
        ad_campaigns.platform as ad_platform,
        row_number() over (
            partition by touches.person_key order by touches.touched_at, touches.contact_id
        ) as touch_number,
        current_timestamp as _transformed_at
    from touches
    left join rule_matches
        on
            touches.contact_id = rule_matches.contact_id
            and touches.touched_at = rule_matches.touched_at
            and rule_matches.match_rank = 1
    left join ad_campaigns
        on touches.campaign_id = ad_campaigns.campaign_id

)

select * from touches_with_channel
