-- Степень удовлетворенности заявителей результатами рассмотрения обращений.
-- Appeals of the report period by the applicant's satisfaction (satisfied, partly, not satisfied, unknown),
-- counted per appeal: satisfaction is recorded for the appeal, not per question. «Не известно» holds appeals
-- whose applicant was not asked or that are not answered yet (ПОС messages and incidents carry none).
-- Shares of all the period's appeals and of those with a known answer; the same months of the comparison year
-- and the change. Read from the monthly appeal profile aggregate (agg_appeal_profile_monthly), which holds the
-- satisfaction.
-- Параметры / parameters: year, compare_year, through_month, sources, territory.

with

appeals as (

    select * from marts.agg_appeal_profile_monthly

    where source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or territory_key in (select access.territory_keys(%(territory)s))
        )

),

labels as (

    select code, label_ru, sort_order from marts.dim_code where vocabulary = 'satisfaction'

    union all

    select 'unknown' as code, 'Не известно' as label_ru, 100 as sort_order

),

periods as (

    select
        period_year,
        make_date(period_year, 1, 1) as period_start,
        cast(make_date(period_year, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

    from unnest(array[%(year)s, %(compare_year)s]) as years (period_year)

    group by period_year

),

counted as (

    select
        coalesce(appeals.satisfaction, 'unknown') as satisfaction_code,
        sum(appeals.appeals) filter (where periods.period_year = %(year)s) as year_total,
        sum(appeals.appeals) filter (where periods.period_year = %(compare_year)s) as compare_total

    from appeals

    inner join periods
        on appeals.month_start >= periods.period_start
        and appeals.month_start < periods.period_end

    group by 1

),

by_satisfaction as (

    select
        labels.sort_order as line_order,
        labels.code as satisfaction_code,
        labels.label_ru as satisfaction,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from labels

    left join counted
        on labels.code = counted.satisfaction_code

),

final as (

    select
        line_order,
        satisfaction_code,
        satisfaction,
        year_total,
        round(100.0 * year_total / nullif((select sum(year_total) from by_satisfaction), 0), 1)
            as share_percent,
        case
            when satisfaction_code <> 'unknown'
                then round(
                    100.0 * year_total / nullif(
                        (select sum(year_total) from by_satisfaction where satisfaction_code <> 'unknown'), 0
                    ),
                    1
                )
        end as share_of_known_percent,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from by_satisfaction

)

select * from final
order by line_order
