-- Обращения по видам доставки и кварталам отчетного периода, с сравнением с тем же периодом другого года.
-- Appeals by delivery channel and quarter of the report period (January to through_month of the report year),
-- the same months of the comparison year and the change. Quarters after the period hold 0. Read from the
-- monthly aggregate (each appeal counted once).
-- Параметры / parameters: year, compare_year, through_month, sources, territory.

with

appeals as (

    select * from marts.agg_appeals_monthly

    where source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or territory_key in (select access.territory_keys(%(territory)s))
        )

),

channels as (

    select * from marts.dim_channel

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
        appeals.channel_code,
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

    group by appeals.channel_code

),

by_channel as (

    select
        counted.channel_code,
        channels.label_ru as channel,
        channels.channel_group,
        coalesce(counted.q1, 0) as q1,
        coalesce(counted.q2, 0) as q2,
        coalesce(counted.q3, 0) as q3,
        coalesce(counted.q4, 0) as q4,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from counted

    inner join channels
        on counted.channel_code = channels.channel_code

),

final as (

    select
        channel_code,
        channel,
        channel_group,
        q1,
        q2,
        q3,
        q4,
        year_total,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from by_channel

    where year_total > 0 or compare_total > 0

)

select * from final
order by year_total desc, channel_code
