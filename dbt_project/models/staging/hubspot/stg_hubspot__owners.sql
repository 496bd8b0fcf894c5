with

latest_owners as (

    {{ latest_versions(source('hubspot', 'hubspot__owners')) }}

),

primary_teams as (

    select
        latest_owners.record_id as owner_id,
        team.value ->> 'id' as team_id,
        team.value ->> 'name' as team_name
    from latest_owners
    cross join lateral jsonb_array_elements(coalesce(latest_owners.record -> 'teams', '[]'::jsonb)) as team (value)
    where (team.value ->> 'primary')::boolean

),

typed as (

    select
        latest_owners.record_id as owner_id,
        latest_owners.record ->> 'firstName' as first_name,
        latest_owners.record ->> 'lastName' as last_name,
        lower(latest_owners.record ->> 'email') as email,
        primary_teams.team_id,
        primary_teams.team_name,
        coalesce((latest_owners.record ->> 'archived')::boolean, false) or latest_owners.is_deleted as is_archived
    from latest_owners
    left join primary_teams
        on latest_owners.record_id = primary_teams.owner_id

)

select * from typed
