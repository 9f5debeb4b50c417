-- Обращения по источнику поступления (непосредственно от заявителя, из администрации субъекта, из Приемной
-- Президента, из других органов) и кварталам, с сравнением с тем же периодом другого года.
-- Appeals of the report period (January to through_month of the report year) by origin and quarter, the same
-- months of the comparison year and the change; every origin is listed (also when it has no appeals; appeals
-- without an origin as «Не указано» when there are any), with their share of the period's appeals. Quarters
-- after the period hold 0. Read from the monthly appeal profile aggregate (agg_appeal_profile_monthly), which
-- holds the origin.
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

origins as (

    select code as origin_code, label_ru, sort_order from marts.dim_code where vocabulary = 'origin_code'

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
        coalesce(appeals.origin_code, 'unknown') as origin_code,
        sum(appeals.appeals) filter (
            where periods.period_year = %(year)s and extract(quarter from appeals.month_start) = 1
        ) as q1,
        sum(appeals.appeals) filter (
            where periods.period_year = %(year)s and extract(quarter from appeals.month_start) = 2
        ) as q2,
        sum(appeals.appeals) filter (
            where periods.period_year = %(year)s and extract(quarter from appeals.month_start) = 3
        ) as q3,
        sum(appeals.appeals) filter (
            where periods.period_year = %(year)s and extract(quarter from appeals.month_start) = 4
        ) as q4,
        sum(appeals.appeals) filter (where periods.period_year = %(year)s) as year_total,
        sum(appeals.appeals) filter (where periods.period_year = %(compare_year)s) as compare_total

    from appeals

    inner join periods
        on appeals.month_start >= periods.period_start
        and appeals.month_start < periods.period_end

    group by 1

),

by_origin as (

    select
        coalesce(origins.sort_order, 99) as line_order,
        coalesce(origins.origin_code, counted.origin_code) as origin_code,
        coalesce(origins.label_ru, 'Не указано') as origin,
        coalesce(counted.q1, 0) as q1,
        coalesce(counted.q2, 0) as q2,
        coalesce(counted.q3, 0) as q3,
        coalesce(counted.q4, 0) as q4,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from origins

    full outer join counted
        on origins.origin_code = counted.origin_code

),

final as (

    select
        line_order,
        origin_code,
        origin,
        q1,
        q2,
        q3,
        q4,
        year_total,
        round(100.0 * year_total / nullif((select sum(year_total) from by_origin), 0), 1) as share_percent,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from by_origin

)

select * from final
order by line_order, origin_code
