-- Monthly question counts by classifier question, for the top questions table: month × territory × source ×
-- question. A question (level 4 of dim_topic) counts its уточнения (level 5); an entry above level 4 and
-- `unclassified` count as themselves (dim_topic.question_code, else the entry's own code). What the top
-- questions table reads instead of the question facts; `questions` sums to fct_appeal_questions.
-- Incremental by month: a build recomputes the months that hold new question rows (in_changed_months).

{{
    config(
        materialized='incremental',
        unique_key='month_start',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ restrict_to_granted_territories() }}",
        indexes=[
            {'columns': ['month_start']},
            {'columns': ['territory_key']},
        ],
    )
}}

with

questions as (

    select * from {{ ref('fct_appeal_questions') }} as questions

    {% if is_incremental() %}
    where {{ in_changed_months('questions.received_date', ref('fct_appeal_questions')) }}
    {% endif %}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

counted as (

    select
        cast(date_trunc('month', questions.received_date) as date) as month_start,
        questions.territory_key,
        questions.source_code,
        coalesce(topics.question_code, questions.topic_code) as question_code,
        count(*) as questions

    from questions

    -- a left join: every question counts (a topic missing from dim_topic keeps its own code)
    left join topics
        on questions.topic_code = topics.topic_code

    group by 1, 2, 3, 4

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        source_code,
        question_code,

        -- measures
        cast(questions as integer) as questions

    from counted

)

select * from final
