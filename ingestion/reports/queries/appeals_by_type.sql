-- Виды обращений (заявление, предложение, жалоба, запрос, благодарность, иное), с сравнением с тем же
-- периодом другого года.
-- Appeals of the report period by type, their share of the period's appeals, the same months of the comparison
-- year and the change; every type is listed, also when it has no appeals. ПОС records are `statement`
-- (59-ФЗ) or `other`. Read from the monthly appeal profile aggregate (agg_appeal_profile_monthly), which holds
-- the type.
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

types as (

    select code, label_ru, sort_order from marts.dim_code where vocabulary = 'appeal_type'

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
        appeals.appeal_type,
        sum(appeals.appeals) filter (where periods.period_year = %(year)s) as year_total,
        sum(appeals.appeals) filter (where periods.period_year = %(compare_year)s) as compare_total

    from appeals

    inner join periods
        on appeals.month_start >= periods.period_start
        and appeals.month_start < periods.period_end

    group by appeals.appeal_type

),

by_type as (

    select
        types.sort_order as line_order,
        types.code as appeal_type_code,
        types.label_ru as appeal_type,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from types

    left join counted
        on types.code = counted.appeal_type

),

final as (

    select
        line_order,
        appeal_type_code,
        appeal_type,
        year_total,
        round(100.0 * year_total / nullif((select sum(year_total) from by_type), 0), 1) as share_percent,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from by_type

)

select * from final
order by line_order
