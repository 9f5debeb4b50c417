-- Результаты рассмотрения вопросов, в т.ч. «меры приняты».
-- Questions of the report period (January to through_month of the report year) by result, with «Поддержано,
-- в т.ч. меры приняты» as its own line; shares of all the period's questions. Read from the monthly question
-- aggregate.
-- Параметры / parameters: year, through_month, sources, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

questions as (

    select questions.*

    from marts.agg_questions_monthly as questions

    inner join period
        on questions.month_start >= period.period_start
        and questions.month_start < period.period_end

    where questions.source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or questions.territory_key in (select access.territory_keys(%(territory)s))
        )

),

results as (

    select * from marts.dim_result

),

by_result as (

    select
        results.sort_order * 10 as line_order,
        results.result_code as line_code,
        results.label_ru as line,
        coalesce(sum(questions.questions), 0) as questions

    from results

    left join questions
        on results.result_code = questions.result_code

    group by results.sort_order, results.result_code, results.label_ru

),

measures_taken as (

    select
        results.sort_order * 10 + 1 as line_order,
        'supported_measures_taken' as line_code,
        'в т.ч. меры приняты' as line,
        coalesce(sum(questions.questions), 0) as questions

    from results

    left join questions
        on results.result_code = questions.result_code
        and questions.measures_taken

    where results.result_code = 'supported'

    group by results.sort_order

),

lines as (

    select * from by_result
    union all
    select * from measures_taken

),

final as (

    select
        line_order,
        line_code,
        line,
        questions,
        round(100.0 * questions / nullif((select sum(questions) from questions), 0), 1) as share_percent

    from lines

)

select * from final
order by line_order
