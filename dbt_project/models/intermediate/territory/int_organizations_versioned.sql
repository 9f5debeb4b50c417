-- The directory of bodies as a slowly changing dimension (type 2), rebuilt from every delivered version.
-- Each delivered organizations.csv is a full snapshot taken at its batch's load time. A version of a body
-- (same normalised name, same ОКТМО and level) lasts from the load of the snapshot that introduced it to
-- the load of the snapshot that changed or dropped it. The first snapshot ever loaded is taken to have
-- been true since always (valid_from 1900-01-01), so appeals received before the warehouse existed resolve.

{{ config(materialized='table') }}

with

rows as (

    select * from {{ ref('stg_organizations__organizations') }}

),

snapshots as (

    select
        batch_id,
        max(batch_loaded_at) as batch_loaded_at,
        row_number() over (order by batch_id) as snapshot_no

    from rows

    group by batch_id

),

-- within one file, a name written twice: the last row wins
one_per_snapshot as (

    select distinct on (batch_id, organization_name_key)
        batch_id,
        organization_name_key,
        organization_name,
        oktmo,
        organization_level

    from rows

    where organization_name_key is not null

    order by batch_id, organization_name_key, source_row_number desc

),

-- every known name in every snapshot (absent = dropped from the directory)
grid as (

    select
        names.organization_name_key,
        snapshots.batch_id,
        snapshots.batch_loaded_at,
        snapshots.snapshot_no,
        one_per_snapshot.organization_name,
        one_per_snapshot.oktmo,
        one_per_snapshot.organization_level,
        one_per_snapshot.batch_id is not null as is_listed

    from (select distinct organization_name_key from one_per_snapshot) as names

    cross join snapshots

    left join one_per_snapshot
        on names.organization_name_key = one_per_snapshot.organization_name_key
        and snapshots.batch_id = one_per_snapshot.batch_id

),

changes as (

    select
        *,
        case
            when lag(is_listed) over by_name is null then true
            when (is_listed, oktmo, organization_level)
                is distinct from (lag(is_listed) over by_name, lag(oktmo) over by_name, lag(organization_level) over by_name)
                then true
            else false
        end as starts_version

    from grid

    window by_name as (partition by organization_name_key order by snapshot_no)

),

numbered as (

    select
        *,
        sum(case when starts_version then 1 else 0 end) over (
            partition by organization_name_key order by snapshot_no
        ) as version_no

    from changes

),

versions as (

    select
        organization_name_key,
        version_no,
        bool_and(is_listed) as is_listed,
        min(snapshot_no) as first_snapshot_no,
        min(batch_loaded_at) as first_loaded_at,
        max(batch_id) as last_batch_id,
        (array_agg(organization_name order by snapshot_no desc))[1] as organization_name,
        min(oktmo) as oktmo,
        min(organization_level) as organization_level

    from numbered

    group by organization_name_key, version_no

),

bounded as (

    select
        organization_name_key,
        version_no,
        is_listed,
        organization_name,
        oktmo,
        organization_level,
        last_batch_id,
        case
            when first_snapshot_no = 1 then timestamptz '1900-01-01 00:00:00+00'
            else first_loaded_at
        end as valid_from,
        coalesce(
            lead(first_loaded_at) over (partition by organization_name_key order by version_no),
            timestamptz '9999-12-31 00:00:00+00'
        ) as valid_to

    from versions

),

final as (

    select
        {{ surrogate_key(['organization_name_key', 'valid_from']) }} as organization_key,
        organization_name_key,
        organization_name,
        oktmo,
        {{ municipality_oktmo('oktmo') }} as municipality_oktmo,
        organization_level,
        valid_from,
        valid_to,
        valid_to = timestamptz '9999-12-31 00:00:00+00' as is_current,
        last_batch_id

    from bounded

    where is_listed

)

select * from final
