{#- Business hours, the clock of SLAs whose period has `business_hours_only` (glossary_sla_targets): from
    `business_day_start` to `business_day_end` on the ISO weekdays `business_days` (1 = Monday), local time in
    `reporting_timezone`, except the dates of the seed glossary_business_holidays.

    Set-based: every instant maps to its *business position*, the business seconds since the calendar's first
    day (an instant outside business hours maps to the next opening), so business seconds between two
    instants are a difference of positions, and a deadline is the instant of a position: each needs one
    equality join to the calendar, never a series per row. -#}

{#- Seconds in one business day (the same for every business day: opening and closing are wall-clock times). -#}
{% macro business_day_seconds() -%}
    extract(epoch from time '{{ var("business_day_end") }}' - time '{{ var("business_day_start") }}')
{%- endmacro %}

{#- A calendar query, one row per local date from `first_date` to `last_date` (date expressions): whether it is a
    business day, and `business_days_before`, the number of business days since `first_date` before it. For a
    business day that number is also its index, so position P falls on the business day of index
    floor(P / business_day_seconds()). -#}
{% macro business_calendar(first_date, last_date, holidays_relation) -%}
    select
        calendar_days.calendar_date,
        calendar_days.is_business_day,
        coalesce(
            count(*) filter (where calendar_days.is_business_day) over (
                order by calendar_days.calendar_date rows between unbounded preceding and 1 preceding
            ),
            0
        ) as business_days_before
    from (
        select
            series.calendar_day::date as calendar_date,
            extract(isodow from series.calendar_day)::int in (
                {{ var("business_days") | join(", ") }}
            ) and holidays.holiday_date is null as is_business_day
        from generate_series(({{ first_date }})::timestamp, ({{ last_date }})::timestamp, interval '1 day')
            as series (calendar_day)
        left join {{ holidays_relation }} as holidays
            on series.calendar_day::date = holidays.holiday_date
    ) as calendar_days
{%- endmacro %}

{#- The local (reporting time zone) date of an instant: the key to join an instant to the calendar. -#}
{% macro business_local_date(timestamp_expression) -%}
    (({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}')::date
{%- endmacro %}

{#- The business position (seconds) of an instant, given the calendar row of its local date: the business
    seconds before that day plus the business seconds of that day up to the instant (none on a closed day, none
    before opening, the whole day after closing). -#}
{% macro business_position(timestamp_expression, calendar_alias) -%}
    {{ calendar_alias }}.business_days_before * {{ business_day_seconds() }}
    + case
        when {{ calendar_alias }}.is_business_day
            then least(
                greatest(
                    extract(
                        epoch from ({{ timestamp_expression }}) at time zone '{{ var("reporting_timezone") }}'
                        - ({{ calendar_alias }}.calendar_date + time '{{ var("business_day_start") }}')
                    ),
                    0
                ),
                {{ business_day_seconds() }}
            )
        else 0
    end
{%- endmacro %}

{#- The business day index a position falls on: floor(P / day), so a position exactly at closing time belongs
    to the next business day's opening (the latest instant with that position: a touch before it is in time). -#}
{% macro business_day_index(position_expression) -%}
    floor(({{ position_expression }}) / {{ business_day_seconds() }})::int
{%- endmacro %}

{#- The instant of a position, given the calendar row of the business day `business_day_index` returned for it. -#}
{% macro business_instant(position_expression, calendar_alias) -%}
    (
        {{ calendar_alias }}.calendar_date + time '{{ var("business_day_start") }}'
        + make_interval(
            secs => (
                ({{ position_expression }}) - {{ calendar_alias }}.business_days_before * {{ business_day_seconds() }}
            )::double precision
        )
    ) at time zone '{{ var("reporting_timezone") }}'
{%- endmacro %}
