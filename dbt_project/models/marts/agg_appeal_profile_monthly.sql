-- Monthly appeal counts by the appeal's own attributes, for reports: month × territory × source × origin ×
-- appeal type × satisfaction × on control. Each appeal counts once; `questions` sums its question_count. What
-- the origin, type, satisfaction and «поставлено на контроль» tables read instead of the appeal facts. The grain
-- holds only what those reports group or filter by (no channel, form or section: agg_appeals_monthly and
-- agg_questions_monthly have them); origin_code, satisfaction and on_control keep their nulls.

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

counted as (

    select
        cast(date_trunc('month', appeals.received_date) as date) as month_start,
        appeals.territory_key,
        appeals.source_code,
        appeals.origin_code,
        appeals.appeal_type,
        appeals.satisfaction,
        appeals.on_control,
        count(*) as appeals,
        sum(appeals.question_count) as questions,
        count(*) filter (where appeals.is_overdue) as overdue_appeals,
        count(*) filter (where appeals.answered_at is not null) as answered_appeals

    from appeals

    group by 1, 2, 3, 4, 5, 6, 7

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        source_code,
        origin_code,
        appeal_type,
        satisfaction,
        on_control,

        -- measures
        cast(appeals as integer) as appeals,
        cast(questions as integer) as questions,
        cast(overdue_appeals as integer) as overdue_appeals,
        cast(answered_appeals as integer) as answered_appeals

    from counted

)

select * from final
