-- Количество вопросов: поставленных на контроль, рассмотренных комиссионно, с выездом на место, с участием
-- автора. Questions of the report period (January to through_month of the report year) reviewed by a
-- commission, on site, with the applicant (and those of appeals put on control), with their share of all the
-- period's questions, the same months of the comparison year and the change. A question counts in every line
-- whose flag it has; «Всего вопросов» is the base of the shares. The reviewed lines come from the monthly
-- question aggregate; «поставлено на контроль» is an appeal's flag: the questions of the appeals on control,
-- from the monthly appeal profile aggregate (agg_appeal_profile_monthly: `questions` where on_control).
-- Параметры / parameters: year, compare_year, through_month, sources, territory.

with

questions as (

    select * from marts.agg_questions_monthly

    where source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or territory_key in (select access.territory_keys(%(territory)s))
        )

),

appeals as (

    select * from marts.agg_appeal_profile_monthly

    where source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or territory_key in (select access.territory_keys(%(territory)s))
        )
        and on_control

),

periods as (

    select
        period_year,
        make_date(period_year, 1, 1) as period_start,
        cast(make_date(period_year, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

    from unnest(array[%(year)s, %(compare_year)s]) as years (period_year)

    group by period_year

),

lines as (

    select *

    from (
        values
            (1, 'total', 'Всего вопросов'),
            (2, 'on_control', 'поставлено на контроль'),
            (3, 'by_commission', 'рассмотрено комиссионно'),
            (4, 'on_site', 'рассмотрено с выездом на место'),
            (5, 'with_applicant', 'рассмотрено с участием автора')
    ) as labels (line_order, line_code, line)

),

reviewed as (

    select
        periods.period_year,
        flag.line_code,
        flag.questions

    from questions

    inner join periods
        on questions.month_start >= periods.period_start
        and questions.month_start < periods.period_end

    cross join lateral (
        values
            ('total', questions.questions),
            ('by_commission', questions.reviewed_by_commission),
            ('on_site', questions.reviewed_on_site),
            ('with_applicant', questions.reviewed_with_applicant)
    ) as flag (line_code, questions)

),

on_control as (

    select
        periods.period_year,
        'on_control' as line_code,
        appeals.questions

    from appeals

    inner join periods
        on appeals.month_start >= periods.period_start
        and appeals.month_start < periods.period_end

),

counted as (

    select
        line_code,
        sum(questions) filter (where period_year = %(year)s) as year_total,
        sum(questions) filter (where period_year = %(compare_year)s) as compare_total

    from (
        select * from reviewed
        union all
        select * from on_control
    ) as flags

    group by line_code

),

by_line as (

    select
        lines.line_order,
        lines.line_code,
        lines.line,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from lines

    left join counted
        on lines.line_code = counted.line_code

),

final as (

    select
        line_order,
        line_code,
        line,
        year_total,
        round(
            100.0 * year_total / nullif((select year_total from by_line where line_code = 'total'), 0), 1
        ) as share_percent,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from by_line

)

select * from final
order by line_order
