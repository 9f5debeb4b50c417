-- The newest version of every appeal, ПОС message and incident (spam included, flagged): the version with
-- the highest batch_id, then the highest source_row_number. Incremental by load batch: a run reads only the
-- versions of batches newer than the newest batch already here, and replaces those appeals' rows.

-- analyze after each build: fresh statistics for the batch filters of the nightly build downstream.

{{
    config(
        materialized='incremental',
        unique_key='appeal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook='analyze {{ this }}',
        indexes=[
            {'columns': ['appeal_id'], 'unique': true},
            {'columns': ['batch_id']},
        ],
    )
}}

with

versions as (

    select * from {{ ref('int_appeal_versions') }}

    {% if is_incremental() %}
    where batch_id > {{ batch_watermark('batch_id') }}
    {% endif %}

),

ranked as (

    select
        *,
        row_number() over (
            partition by appeal_id
            order by batch_id desc, source_row_number desc
        ) as version_rank

    from versions

),

final as (

    select
        appeal_id,
        source_code,
        source_record_id,
        batch_id,
        source_row_number,
        applicant_key,
        organization_key,
        territory_oktmo,
        oktmo,
        territory_match,
        channel_code,
        origin_code,
        appeal_type,
        form,
        final_result_code,
        satisfaction,
        received_by,
        social_network,
        source_status,
        source_result_as_written,
        source_category,
        source_subcategory,
        source_place,
        topic_code as primary_topic_code,
        is_topic_mapped,
        is_official_appeal,
        is_collective,
        is_repeat,
        on_control,
        is_spam,
        coalesce(
            is_overdue_as_exported,
            case
                when due_at is null then false
                when answered_at is not null then answered_at > due_at
                else batch_loaded_at > due_at
            end
        ) as is_overdue,
        coalesce(answered_at < registered_at, false) as is_answered_before_registered,
        received_date,
        registered_at,
        due_at,
        answered_at,
        batch_loaded_at,
        question_count,
        round(extract(epoch from (answered_at - registered_at)) / 3600.0, 2) as response_hours,
        rating

    from ranked

    where version_rank = 1

)

select * from final
