-- Monthly counts for dashboards: month × territory × source × channel × classifier section and theme.
-- Appeal measures (appeals, official, overdue, answered, median response) count each appeal once, under the
-- section and theme of its primary (first) question; `questions` counts questions under their own topics.

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

    {% if is_incremental() %}
    where {{ in_changed_months('appeals.received_date', ref('fct_appeals')) }}
    {% endif %}

),

questions as (

    select * from {{ ref('fct_appeal_questions') }} as questions

    {% if is_incremental() %}
    where {{ in_changed_months('questions.received_date', ref('fct_appeals')) }}
    {% endif %}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

appeal_counts as (

    select
        cast(date_trunc('month', appeals.received_date) as date) as month_start,
        appeals.territory_key,
        appeals.source_code,
        appeals.channel_code,
        topics.section_code,
        topics.theme_code,
        count(*) as appeals,
        count(*) filter (where appeals.is_official_appeal) as official_appeals,
        count(*) filter (where appeals.is_overdue) as overdue_appeals,
        count(*) filter (where appeals.answered_at is not null) as answered_appeals,
        percentile_cont(0.5) within group (order by appeals.response_hours) as median_response_hours

    from appeals

    inner join topics
        on appeals.primary_topic_code = topics.topic_code

    group by 1, 2, 3, 4, 5, 6

),

question_counts as (

    select
        cast(date_trunc('month', questions.received_date) as date) as month_start,
        questions.territory_key,
        questions.source_code,
        questions.channel_code,
        topics.section_code,
        topics.theme_code,
        count(*) as questions

    from questions

    inner join topics
        on questions.topic_code = topics.topic_code

    group by 1, 2, 3, 4, 5, 6

),

joined as (

    select
        month_start,
        territory_key,
        source_code,
        channel_code,
        section_code,
        theme_code,
        coalesce(appeal_counts.appeals, 0) as appeals,
        coalesce(question_counts.questions, 0) as questions,
        coalesce(appeal_counts.official_appeals, 0) as official_appeals,
        coalesce(appeal_counts.overdue_appeals, 0) as overdue_appeals,
        coalesce(appeal_counts.answered_appeals, 0) as answered_appeals,
        appeal_counts.median_response_hours

    from appeal_counts

    full outer join question_counts
        using (month_start, territory_key, source_code, channel_code, section_code, theme_code)

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        source_code,
        channel_code,
        section_code,
        theme_code,

        -- measures
        cast(appeals as integer) as appeals,
        cast(questions as integer) as questions,
        cast(official_appeals as integer) as official_appeals,
        cast(overdue_appeals as integer) as overdue_appeals,
        cast(answered_appeals as integer) as answered_appeals,
        cast(median_response_hours as numeric(12, 2)) as median_response_hours

    from joined

)

select * from final
