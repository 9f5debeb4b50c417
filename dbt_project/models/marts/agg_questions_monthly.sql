-- Monthly question counts for dashboards and reports: month × territory × source × channel × form ×
-- classifier section and theme × result (with «в т.ч. меры приняты»). Questions are the grain of official
-- reporting; the reviewed_* measures count the questions reviewed by commission, on site, with the applicant.

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
        questions.channel_code,
        questions.form,
        topics.section_code,
        topics.theme_code,
        questions.result_code,
        coalesce(questions.measures_taken, false) as measures_taken,
        count(*) as questions,
        count(*) filter (where questions.reviewed_by_commission) as reviewed_by_commission,
        count(*) filter (where questions.reviewed_on_site) as reviewed_on_site,
        count(*) filter (where questions.reviewed_with_applicant) as reviewed_with_applicant

    from questions

    inner join topics
        on questions.topic_code = topics.topic_code

    group by 1, 2, 3, 4, 5, 6, 7, 8, 9

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        source_code,
        channel_code,
        form,
        section_code,
        theme_code,
        result_code,
        measures_taken,

        -- measures
        cast(questions as integer) as questions,
        cast(reviewed_by_commission as integer) as reviewed_by_commission,
        cast(reviewed_on_site as integer) as reviewed_on_site,
        cast(reviewed_with_applicant as integer) as reviewed_with_applicant

    from counted

)

select * from final
