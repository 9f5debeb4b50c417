-- One row per question of an appeal (ПОС messages and incidents: one question), the grain of official
-- reporting; the appeal's date, territory, source, channel and form are repeated for one-join reports.
-- Incremental by load batch; an appeal's questions are replaced together (delete+insert on appeal_id),
-- so a re-exported register appeal with fewer questions leaves none behind.

-- depends_on: {{ ref('int_appeals_current') }}

-- analyze after each build: the night's rows are new to the planner; without fresh statistics the nightly
-- tests (`loaded_batch_id > N`) were planned as one row and ran as nested loops for minutes.

{{
    config(
        materialized='incremental',
        unique_key='appeal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_excluded_appeals('loaded_batch_id') }}",
        post_hook=["{{ restrict_to_granted_territories() }}", "analyze {{ this }}"],
        meta={'new_rows_column': 'loaded_batch_id'},
        indexes=[
            {'columns': ['loaded_batch_id']},
            {'columns': ['appeal_id', 'question_no'], 'unique': true},
            {'columns': ['received_date']},
            {'columns': ['topic_code']},
        ],
    )
}}

with

questions as (

    select * from {{ ref('int_appeal_questions_current') }}

    {% if is_incremental() %}
    where batch_id > {{ batch_watermark('loaded_batch_id') }}
    {% endif %}

),

appeals as (

    select * from {{ ref('fct_appeals') }}

),

final as (

    select
        -- ids and keys
        questions.appeal_id,
        cast(questions.question_no as integer) as question_no,
        questions.topic_code,
        appeals.territory_key,
        appeals.oktmo,
        appeals.received_date,
        questions.batch_id as loaded_batch_id,

        -- attributes (the appeal's, repeated)
        appeals.source_code,
        appeals.channel_code,
        appeals.form,

        -- attributes of the question
        questions.result_code,

        -- flags
        questions.measures_taken,
        questions.is_reviewed_by_commission as reviewed_by_commission,
        questions.is_reviewed_on_site as reviewed_on_site,
        questions.is_reviewed_with_applicant as reviewed_with_applicant,
        appeals.is_official_appeal

    from questions

    inner join appeals
        on questions.appeal_id = appeals.appeal_id

)

select * from final
