-- Register appeals in the common appeal shape, one row per delivered version (the rows of a natural key in
-- one batch): appeal attributes from its first question, final result = the first question's result,
-- territory = the first question's ОКТМО (settlement or municipality).

with

questions as (

    select * from {{ ref('int_register_questions_resolved') }}

),

final as (

    select
        -- ids
        appeal_id,
        'register' as source_code,
        reg_number as source_record_id,
        batch_id,
        source_row_number,
        applicant_key,
        cast(null as text) as organization_key,

        -- territory
        territory_oktmo,
        {{ municipality_oktmo('territory_oktmo') }} as oktmo,
        case when territory_oktmo is not null then 'oktmo' end as territory_match,

        -- attributes
        channel_code,
        origin_code,
        appeal_type,
        form,
        result_code as final_result_code,
        satisfaction,
        received_by,
        cast(null as text) as social_network,
        cast(null as text) as source_status,
        cast(null as text) as source_result_as_written,
        cast(null as text) as source_category,
        cast(null as text) as source_subcategory,
        body_oktmo as source_place,
        topic_code,
        is_topic_mapped,

        -- flags
        true as is_official_appeal,
        coalesce(is_collective, false) as is_collective,
        coalesce(is_repeat, false) as is_repeat,
        on_control,
        false as is_spam,
        cast(null as boolean) as is_overdue_as_exported,

        -- dates
        received_date,
        registered_at,
        coalesce(extended_due_at, due_at) as due_at,
        answered_at,
        batch_loaded_at,

        -- measures
        cast(question_count as integer) as question_count,
        cast(null as smallint) as rating

    from questions

    where question_no = 1

)

select * from final
