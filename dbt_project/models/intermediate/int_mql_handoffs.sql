{#- Marketing's hand-over of each actual MQL entry to sales: the first sales touch (call, email or meeting
    of that contact at or after the entry), the response time, and whether the agreed first-touch deadline
    passed without a touch. Clock hours; business-hours SLAs are not implemented yet. -#}
with

mql_entries as (

    select * from {{ ref('int_mql_entries') }}
    where not is_inferred

),

engagements as (

    select * from {{ ref('stg_hubspot__engagements') }}
    where not is_archived

),

engagement_contacts as (

    select
        from_object_id as engagement_id,
        to_object_id as contact_id
    from {{ ref('stg_hubspot__associations') }}
    where
        from_object_type in ('call', 'email', 'meeting')
        and to_object_type = 'contact'

),

sla_periods as (

    select * from {{ ref('glossary_sla_target_periods') }}

),

contact_touches as (

    select
        engagement_contacts.contact_id,
        engagements.engagement_type,
        engagements.owner_id,
        engagements.occurred_at
    from engagements
    inner join engagement_contacts
        on engagements.engagement_id = engagement_contacts.engagement_id
    where engagements.occurred_at <= {{ as_of() }}

),

first_touches as (

    select
        mql_entries.person_key,
        mql_entries.contact_id,
        mql_entries.entered_at,
        min(contact_touches.occurred_at) as first_touch_at
    from mql_entries
    left join contact_touches
        on
            mql_entries.contact_id = contact_touches.contact_id
            and mql_entries.entered_at <= contact_touches.occurred_at
    group by mql_entries.person_key, mql_entries.contact_id, mql_entries.entered_at

),

with_deadline as (

    select
        first_touches.*,
        first_touches.entered_at
        + make_interval(hours => sla_periods.first_touch_deadline_hours) as first_touch_deadline_at
    from first_touches
    inner join sla_periods
        on
            (first_touches.entered_at at time zone '{{ var("reporting_timezone") }}')::date
            between sla_periods.valid_from and sla_periods.valid_to

)

select
    person_key,
    contact_id,
    entered_at as mql_at,
    first_touch_at,
    first_touch_deadline_at,
    round(extract(epoch from first_touch_at - entered_at) / 3600.0, 2)::numeric(10, 2) as response_hours,
    first_touch_deadline_at < {{ as_of() }}
    and (first_touch_at is null or first_touch_at > first_touch_deadline_at) as is_sla_breached,
    {{ as_of() }} as evaluated_as_of
from with_deadline
