-- Social-media incidents, one row per delivered version (raw row) of a usable batch.
-- Author, post text and link (personal data) stay in raw.

with

incidents as (

    select * from {{ source('raw', 'incident_rows') }}

),

batches as (

    {{ usable_load_batches() }}

),

renamed as (

    select
        -- ids
        'incident:' || btrim(incidents.incident_id) as appeal_id,
        btrim(incidents.incident_id) as incident_id,
        incidents.batch_id,
        incidents.source_row_number,
        incidents.applicant_key,

        -- attributes
        btrim(incidents.social_network) as social_network,
        btrim(incidents.rubric) as rubric,
        nullif(btrim(incidents.subrubric), '') as subrubric,
        btrim(incidents.municipality_name) as municipality_name,
        {{ oktmo8('incidents.oktmo') }} as oktmo_as_written,
        btrim(incidents.status) as status,
        nullif(btrim(incidents.executor), '') as executor,
        coalesce(nullif(btrim(incidents.message_type), ''), 'other') as appeal_type,
        incidents.reach,

        -- look-up keys
        {{ normalise_key('incidents.rubric') }} as rubric_key,
        {{ normalise_key('incidents.subrubric') }} as subrubric_key,
        {{ normalise_key('incidents.status') }} as status_key,
        {{ normalise_key('incidents.municipality_name') }} as municipality_name_key,
        {{ place_name_key('incidents.municipality_name') }} as municipality_place_key,

        -- flags
        coalesce(incidents.is_spam, false) as is_spam,

        -- dates
        incidents.published_at,
        coalesce(incidents.registered_at, incidents.published_at) as registered_at,
        incidents.answered_at,
        {{ local_date('incidents.published_at', 'batches.batch_timezone') }} as published_date,

        -- lineage
        batches.batch_timezone,
        batches.batch_loaded_at

    from incidents

    inner join batches
        on incidents.batch_id = batches.batch_id

)

select * from renamed
