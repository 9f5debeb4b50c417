-- Вопросы по форме обращения (письменная, электронная, устная) и кварталам, с сравнением с тем же периодом
-- другого года.
-- Questions of the report period (January to through_month of the report year) by the form of their appeal and
-- quarter, the same months of the comparison year and the change, with an «Итого» line; every form is listed,
-- also when it has no questions. Quarters after the period hold 0. Read from the monthly question aggregate.
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

forms as (

    select code as form_code, label_ru, sort_order from marts.dim_code where vocabulary = 'form'

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
        questions.form as form_code,
        sum(questions.questions) filter (
            where periods.period_year = %(year)s and extract(quarter from questions.month_start) = 1
        ) as q1,
        sum(questions.questions) filter (
            where periods.period_year = %(year)s and extract(quarter from questions.month_start) = 2
        ) as q2,
        sum(questions.questions) filter (
            where periods.period_year = %(year)s and extract(quarter from questions.month_start) = 3
        ) as q3,
        sum(questions.questions) filter (
            where periods.period_year = %(year)s and extract(quarter from questions.month_start) = 4
        ) as q4,
        sum(questions.questions) filter (where periods.period_year = %(year)s) as year_total,
        sum(questions.questions) filter (where periods.period_year = %(compare_year)s) as compare_total

    from questions

    inner join periods
        on questions.month_start >= periods.period_start
        and questions.month_start < periods.period_end

    group by questions.form

),

by_form as (

    select
        forms.sort_order as line_order,
        forms.form_code,
        forms.label_ru as form,
        coalesce(counted.q1, 0) as q1,
        coalesce(counted.q2, 0) as q2,
        coalesce(counted.q3, 0) as q3,
        coalesce(counted.q4, 0) as q4,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from forms

    left join counted
        on forms.form_code = counted.form_code

),

total as (

    select
        100 as line_order,
        'total' as form_code,
        'Итого' as form,
        cast(sum(q1) as bigint) as q1,
        cast(sum(q2) as bigint) as q2,
        cast(sum(q3) as bigint) as q3,
        cast(sum(q4) as bigint) as q4,
        cast(sum(year_total) as bigint) as year_total,
        cast(sum(compare_total) as bigint) as compare_total

    from by_form

),

lines as (

    select * from by_form
    union all
    select * from total

),

final as (

    select
        line_order,
        form_code,
        form,
        q1,
        q2,
        q3,
        q4,
        year_total,
        round(100.0 * year_total / nullif((select year_total from total), 0), 1) as share_percent,
        compare_total,
        year_total - compare_total as change,
        round(100.0 * (year_total - compare_total) / nullif(compare_total, 0), 1) as change_percent

    from lines

)

select * from final
order by line_order
