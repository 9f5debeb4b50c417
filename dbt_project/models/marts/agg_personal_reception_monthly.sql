-- Monthly personal reception, for the personal reception table: register appeals received in person
-- (personal_reception, field_reception) by month × territory × channel × who received the applicant
-- (received_by) × classifier section of their questions. `appeals` counts the distinct appeals of the row: an
-- appeal with questions in two sections counts in both, once in each; an appeal lives in one month, territory,
-- channel and received_by, so sums over them stay distinct counts. `questions` counts the questions.
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

appeals as (

    select * from {{ ref('fct_appeals') }} as appeals

    where appeals.source_code = 'register'
        and appeals.channel_code in ('personal_reception', 'field_reception')
        {% if is_incremental() %}
        -- the months of new question rows, as below: both sides of the join cover the same months
        and {{ in_changed_months('appeals.received_date', ref('fct_appeal_questions')) }}
        {% endif %}

),

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
        cast(date_trunc('month', appeals.received_date) as date) as month_start,
        appeals.territory_key,
        appeals.channel_code,
        appeals.received_by,
        topics.section_code,
        count(distinct appeals.appeal_id) as appeals,
        count(*) as questions

    from appeals

    inner join questions
        on appeals.appeal_id = questions.appeal_id

    inner join topics
        on questions.topic_code = topics.topic_code

    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        channel_code,
        received_by,
        section_code,

        -- measures
        cast(appeals as integer) as appeals,
        cast(questions as integer) as questions

    from counted

)

select * from final
