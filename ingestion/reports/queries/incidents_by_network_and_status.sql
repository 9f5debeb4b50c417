-- Инциденты в социальных сетях по площадкам и результатам (спам исключен).
-- Incidents of the report year by social network and result, with the median response time in hours.
-- vars: report_year.

with

incidents as (

    select * from {{ ref('fct_appeals') }}

    where source_code = 'incident'
        and extract(year from received_date) = {{ report_year() }}

),

results as (

    select * from {{ ref('dim_result') }}

),

final as (

    select
        incidents.social_network,
        incidents.final_result_code as result_code,
        results.label_ru as result,
        count(*) as incidents,
        round(cast(percentile_cont(0.5) within group (order by incidents.response_hours) as numeric), 1)
            as median_response_hours

    from incidents

    left join results
        on incidents.final_result_code = results.result_code

    group by 1, 2, 3

)

select * from final
order by social_network, result_code
