{#- Marketing's hand-over of each actual MQL entry to sales: the first sales touch (call, email or meeting
    of that contact at or after the entry), the response time, and whether the agreed first-touch deadline
    passed without a touch. The SLA version in force on the MQL day says which clock counts: clock hours, or
    business hours only (macros/business_hours.sql: a hand-over or touch outside business hours counts from the
    next opening, and the deadline is the instant the agreed business hours have passed). -#}
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

business_holidays as (

    select * from {{ ref('glossary_business_holidays') }}

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

handoffs_with_sla as (

    select
        first_touches.*,
        sla_periods.first_touch_deadline_hours,
        coalesce(sla_periods.business_hours_only, false) as business_hours_only
    from first_touches
    inner join sla_periods
        on
            {{ business_local_date('first_touches.entered_at') }}
            between sla_periods.valid_from and sla_periods.valid_to

),

calendar_bounds as (

    -- the hand-overs and touches, plus enough days for the longest deadline even if only one weekday a week
    -- were open, and every holiday
    select
        min({{ business_local_date('entered_at') }}) as first_date,
        max({{ business_local_date('coalesce(first_touch_at, entered_at)') }})
        + 7 * (ceil(max(first_touch_deadline_hours) * 3600 / {{ business_day_seconds() }})::int + 2)
        + (select count(*) from business_holidays)::int as last_date
    from handoffs_with_sla
    where business_hours_only

),

business_calendar as (

    {{ business_calendar(
        '(select first_date from calendar_bounds)',
        '(select last_date from calendar_bounds)',
        'business_holidays'
    ) }}

),

business_days as (

    select
        calendar_date,
        business_days_before
    from business_calendar
    where is_business_day

),

business_positions as (

    select
        handoffs_with_sla.*,
        {{ business_position('handoffs_with_sla.entered_at', 'entry_day') }} as entry_position,
        {{ business_position('handoffs_with_sla.first_touch_at', 'touch_day') }} as touch_position,
        {{ business_position('handoffs_with_sla.entered_at', 'entry_day') }}
        + handoffs_with_sla.first_touch_deadline_hours * 3600 as deadline_position
    from handoffs_with_sla
    inner join business_calendar as entry_day
        on {{ business_local_date('handoffs_with_sla.entered_at') }} = entry_day.calendar_date
    left join business_calendar as touch_day
        on {{ business_local_date('handoffs_with_sla.first_touch_at') }} = touch_day.calendar_date
    where handoffs_with_sla.business_hours_only

),

business_hour_handoffs as (

    select
        business_positions.person_key,
        business_positions.contact_id,
        business_positions.entered_at,
        business_positions.first_touch_at,
        {{ business_instant('business_positions.deadline_position', 'deadline_day') }} as first_touch_deadline_at,
        (business_positions.touch_position - business_positions.entry_position) / 3600.0 as response_hours,
        'business_hours' as sla_clock
    from business_positions
    left join business_days as deadline_day
        on
            {{ business_day_index('business_positions.deadline_position') }}
            = deadline_day.business_days_before

),

clock_hour_handoffs as (

    select
        person_key,
        contact_id,
        entered_at,
        first_touch_at,
        entered_at + make_interval(hours => first_touch_deadline_hours) as first_touch_deadline_at,
        extract(epoch from first_touch_at - entered_at) / 3600.0 as response_hours,
        'clock_hours' as sla_clock
    from handoffs_with_sla
    where not business_hours_only

),

handoffs as (

    select * from business_hour_handoffs
    union all
    select * from clock_hour_handoffs

)

select
    person_key,
    contact_id,
    entered_at as mql_at,
    first_touch_at,
    first_touch_deadline_at,
    round(response_hours, 2)::numeric(10, 2) as response_hours,
    first_touch_deadline_at < {{ as_of() }}
    and (first_touch_at is null or first_touch_at > first_touch_deadline_at) as is_sla_breached,
    sla_clock,
    {{ as_of() }} as evaluated_as_of
from handoffs
