-- The directory of bodies as delivered: one row per organisation per delivered file (a full snapshot).

with

organizations as (

    select * from {{ source('raw', 'organizations_rows') }}

),

batches as (

    {{ usable_load_batches() }}

),

renamed as (

    select
        -- ids
        organizations.batch_id,
        organizations.source_row_number,
        {{ normalise_key('organizations.name') }} as organization_name_key,

        -- attributes
        btrim(organizations.name) as organization_name,
        {{ oktmo8('organizations.oktmo') }} as oktmo,
        organizations.level as organization_level,

        -- lineage
        batches.batch_loaded_at

    from organizations

    inner join batches
        on organizations.batch_id = batches.batch_id

)

select * from renamed
