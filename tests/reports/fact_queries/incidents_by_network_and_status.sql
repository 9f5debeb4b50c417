-- Инциденты в социальных сетях по площадкам и результатам (спам исключен).
-- Incidents of the report period (January to through_month of the report year) by social network and result,
-- with the median response time in hours. Always the incident source, whatever the sources parameter says.
-- Параметры / parameters: year, through_month, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

incidents as (

    select appeals.*

    from marts.fct_appeals as appeals

    inner join period
        on appeals.received_date >= period.period_start
        and appeals.received_date < period.period_end

    where appeals.source_code = 'incident'
        and (
            cast(%(territory)s as text) is null
            or appeals.territory_key in (select access.territory_keys(%(territory)s))
        )

),

results as (

    select * from marts.dim_result

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
