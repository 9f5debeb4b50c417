-- Monthly incidents with their response times, for the incidents table: month × territory × social network ×
-- final result × response hours (the exact value, null when not answered). A median does not add up over
-- months; the count of incidents at each response time does, so the table's median is taken from these
-- counts (the same value percentile_cont gives over the facts). At most one row per incident; fewer where the
-- incidents of a month, territory, network and result share a response time (hundredths of an hour).
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

incidents as (

    select * from {{ ref('fct_appeals') }} as appeals

    where appeals.source_code = 'incident'
        {% if is_incremental() %}
        and {{ in_changed_months('appeals.received_date', ref('fct_appeals')) }}
        {% endif %}

),

counted as (

    select
        cast(date_trunc('month', incidents.received_date) as date) as month_start,
        incidents.territory_key,
        incidents.social_network,
        incidents.final_result_code,
        incidents.response_hours,
        count(*) as incidents

    from incidents

    group by 1, 2, 3, 4, 5

),

final as (

    select
        -- keys
        month_start,
        territory_key,
        social_network,
        final_result_code,
        response_hours,

        -- measures
        cast(incidents as integer) as incidents

    from counted

)

select * from final
