-- Monthly appeal outcomes, for the ПОС table: month × territory × source × 59-ФЗ appeal or message
-- (is_official_appeal) × final result. Each appeal counts once; overdue appeals and the applicants' ratings
-- (their sum and count: the average adds up over months) beside it. What the ПОС messages vs 59-ФЗ appeals
-- table reads instead of the appeal facts; every source is kept, so `appeals` sums to fct_appeals.
-- Incremental by month: a build recomputes the months that hold new appeal rows (in_changed_months).

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
        appeals.is_official_appeal,
        appeals.final_result_code,
        count(*) as appeals,
        count(*) filter (where appeals.is_overdue) as overdue_appeals,
        coalesce(sum(appeals.rating), 0) as rating_sum,
        count(appeals.rating) as ratings

    from appeals

    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        source_code,
        is_official_appeal,
        final_result_code,

        -- measures
        cast(appeals as integer) as appeals,
        cast(overdue_appeals as integer) as overdue_appeals,
        cast(rating_sum as integer) as rating_sum,
        cast(ratings as integer) as ratings

    from counted

)

select * from final
