-- Municipal register rows: one row per question of an appeal, per delivered version, of a usable batch.
-- The appeal's natural key is (registering body, year of the local registration date, № РК).
-- Correspondent and address (personal data) stay in raw.

with

questions as (

    select * from {{ source('raw', 'register_rows') }}

),

batches as (

    {{ usable_load_batches() }}

),

renamed as (

    select
        -- ids
        'register:' || btrim(questions.body_oktmo)
            || ':' || extract(year from {{ local_date('questions.registered_at', 'batches.batch_timezone') }})::int
            || ':' || btrim(questions.reg_number) as appeal_id,
        btrim(questions.body_oktmo) as body_oktmo,
        btrim(questions.reg_number) as reg_number,
        questions.batch_id,
        questions.source_row_number,
        questions.applicant_key,

        -- attributes (codes as the loader mapped them; unknown spellings kept verbatim)
        questions.appeal_type,
        questions.form,
        questions.channel_code,
        questions.origin_code,
        {{ oktmo8('questions.oktmo') }} as territory_oktmo,
        btrim(questions.topic_code) as topic_code_as_written,
        questions.result_code,
        questions.satisfaction,
        questions.received_by,

        -- flags
        questions.is_collective,
        questions.is_repeat,
        questions.on_control,
        questions.measures_taken,
        questions.by_commission as is_reviewed_by_commission,
        questions.on_site as is_reviewed_on_site,
        questions.with_applicant as is_reviewed_with_applicant,

        -- dates
        questions.registered_at,
        questions.received_at,
        questions.due_at,
        questions.extended_due_at,
        questions.answered_at,
        {{ local_date('questions.registered_at', 'batches.batch_timezone') }} as registered_date,
        {{ local_date('coalesce(questions.received_at, questions.registered_at)', 'batches.batch_timezone') }}
            as received_date,

        -- lineage
        batches.batch_timezone,
        batches.batch_loaded_at

    from questions

    inner join batches
        on questions.batch_id = batches.batch_id

)

select * from renamed
