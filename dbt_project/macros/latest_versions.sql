{#- The latest version of each record in an append-only raw table (one row per record id), as of `as_of`.

    Raw tables keep every version the extractors read; the latest is the one with the newest cursor value,
    then the newest load batch. Versions modified after `as_of` are ignored, so a backfilled night sees the
    records as they were then even when later nights loaded newer versions. When the same version was read
    both as active and as archived in one batch, archived wins: archiving does not always move HubSpot's
    last-modified timestamp. On an incremental run of an incremental staging model, only the changed records
    are read (macros/incremental_staging.sql). -#}
{% macro latest_versions(relation) %}
    select ranked.*
    from (
        select
            raw_rows.*,
            row_number() over (
                partition by raw_rows.record_id
                order by
                    raw_rows.cursor_value desc nulls last,
                    raw_rows.batch_id desc,
                    raw_rows.is_deleted desc
            ) as version_rank
        from {{ relation }} as raw_rows
        where
            (raw_rows.cursor_value is null or raw_rows.cursor_value <= {{ as_of() }})
            {{ only_changed_records(relation) }}
    ) as ranked
    where ranked.version_rank = 1
{% endmacro %}
