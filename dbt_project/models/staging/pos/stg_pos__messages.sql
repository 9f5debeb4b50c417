-- ПОС messages, one row per delivered version (raw row) of a usable batch.
-- Staff names (personal data) stay in raw.

with

messages as (

    select * from {{ source('raw', 'pos_rows') }}

),

batches as (

    {{ usable_load_batches() }}

),

renamed as (

    select
        -- ids
        'pos:' || btrim(messages.message_id) as appeal_id,
        btrim(messages.message_id) as message_id,
        nullif(btrim(messages.epgu_id), '') as epgu_id,
        messages.batch_id,
        messages.source_row_number,
        messages.applicant_key,

        -- attributes
        nullif(btrim(messages.tech_source), '') as tech_source,
        nullif(btrim(messages.region_account), '') as region_account,
        btrim(messages.category) as category,
        nullif(btrim(messages.subcategory), '') as subcategory,
        nullif(btrim(messages.fact), '') as fact,
        btrim(messages.receiving_org) as receiving_org,
        nullif(btrim(messages.handling_org), '') as handling_org,
        btrim(messages.stage) as stage,
        nullif(btrim(messages.status), '') as status,
        nullif(btrim(messages.fz_marker), '') as fz_marker,
        nullif(btrim(messages.decision_type), '') as decision_type,
        messages.rating,

        -- look-up keys
        {{ normalise_key('messages.category') }} as category_key,
        {{ normalise_key('messages.subcategory') }} as subcategory_key,
        {{ normalise_key('messages.receiving_org') }} as receiving_org_key,
        {{ normalise_key('messages.stage') }} as stage_key,
        {{ normalise_key('messages.decision_type') }} as decision_type_key,

        -- flags
        coalesce(messages.fz_marker ~ '59', false)
            or coalesce(messages.applicant_chose_59fz, false) as is_official_appeal,
        messages.applicant_chose_59fz,
        messages.is_overdue as is_overdue_as_exported,
        messages.is_fast_track,
        messages.emailed_to_foiv,
        messages.is_repeat_review,

        -- dates
        messages.received_at,
        messages.due_at,
        messages.closed_at,
        {{ local_date('messages.received_at', 'batches.batch_timezone') }} as received_date,

        -- lineage
        batches.batch_timezone,
        batches.batch_loaded_at

    from messages

    inner join batches
        on messages.batch_id = batches.batch_id

)

select * from renamed
