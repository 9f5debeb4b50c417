-- Инциденты в социальных сетях по площадкам и результатам (спам исключен).
-- Incidents of the report period (January to through_month of the report year) by social network and result,
-- with the median response time in hours. Always the incident source, whatever the sources parameter says.
-- Read from the monthly incident aggregate (agg_incident_response_monthly), which counts the incidents at each
-- response time: the median is the value percentile_cont(0.5) gives over the incidents themselves (the middle
-- value, or the mean of the two middle values, in double precision), taken from those counts.
-- Параметры / parameters: year, through_month, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

incidents as (

    select incidents.*

    from marts.agg_incident_response_monthly as incidents

    inner join period
        on incidents.month_start >= period.period_start
        and incidents.month_start < period.period_end

    where cast(%(territory)s as text) is null
        or incidents.territory_key in (select access.territory_keys(%(territory)s))

),

by_hours as (

    select
        social_network,
        final_result_code,
        response_hours,
        sum(incidents) as incidents

    from incidents

    group by 1, 2, 3

),

cumulative as (

    select
        social_network,
        final_result_code,
        response_hours,
        incidents,
        -- incidents answered in up to this many hours (the answered ones: percentile_cont skips nulls)
        sum(incidents) over (
            partition by social_network, final_result_code
            order by response_hours
            rows between unbounded preceding and current row
        ) as up_to_here,
        sum(incidents) over (partition by social_network, final_result_code) as answered

    from by_hours

    where response_hours is not null

),

middle as (

    -- the 0-based positions of the two middle values among the answered (one position when their count is odd)
    select
        *,
        floor(0.5 * (answered - 1)) as lower_position,
        ceil(0.5 * (answered - 1)) as upper_position

    from cumulative

),

medians as (

    select
        social_network,
        final_result_code,
        cast(min(response_hours) filter (where up_to_here > lower_position) as double precision) as lower_value,
        cast(min(response_hours) filter (where up_to_here > upper_position) as double precision) as upper_value

    from middle

    group by 1, 2

),

results as (

    select * from marts.dim_result

),

counted as (

    select
        social_network,
        final_result_code,
        cast(sum(incidents) as bigint) as incidents

    from by_hours

    group by 1, 2

),

final as (

    select
        counted.social_network,
        counted.final_result_code as result_code,
        results.label_ru as result,
        counted.incidents,
        -- percentile_cont's interpolation: lower + 0.5 · (upper − lower)
        round(
            cast(
                medians.lower_value
                + cast(0.5 as double precision) * (medians.upper_value - medians.lower_value)
                as numeric
            ),
            1
        ) as median_response_hours

    from counted

    left join medians
        on counted.social_network is not distinct from medians.social_network
        and counted.final_result_code is not distinct from medians.final_result_code

    left join results
        on counted.final_result_code = results.result_code

)

select * from final
order by social_network, result_code
