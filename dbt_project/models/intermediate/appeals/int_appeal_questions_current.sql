-- The questions of the newest version of every appeal (spam incidents' questions included; the facts drop
-- them). A register appeal's questions are the rows of its newest batch, so a re-export replaces them all.
-- Incremental by load batch, like int_appeals_current; rows are replaced per appeal.

-- analyze after each build: fresh statistics for the batch filters of the nightly build downstream.

{{
    config(
        materialized='incremental',
        unique_key='appeal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook='analyze {{ this }}',
        indexes=[
            {'columns': ['appeal_id', 'question_no'], 'unique': true},
            {'columns': ['batch_id']},
        ],
    )
}}

with

versions as (

    select * from {{ ref('int_question_versions') }}

    {% if is_incremental() %}
    where batch_id > {{ batch_watermark('batch_id') }}
    {% endif %}

),

newest_batch as (

    select
        *,
        max(batch_id) over (partition by appeal_id) as newest_batch_id,
        row_number() over (
            partition by appeal_id, question_no
            order by batch_id desc, source_row_number desc
        ) as version_rank

    from versions

),

final as (

    select
        appeal_id,
        question_no,
        batch_id,
        source_row_number,
        topic_code,
        topic_code_as_written,
        is_topic_mapped,
        result_code,
        measures_taken,
        is_reviewed_by_commission,
        is_reviewed_on_site,
        is_reviewed_with_applicant

    from newest_batch

    where batch_id = newest_batch_id
        and version_rank = 1

)

select * from final
