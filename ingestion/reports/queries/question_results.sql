-- Результаты рассмотрения вопросов, в т.ч. «меры приняты».
-- Questions of the report year by result, with «Поддержано, в т.ч. меры приняты» as its own line.
-- vars: report_year, report_sources (default: register).

with

questions as (

    select * from {{ ref('fct_appeal_questions') }}

    where source_code in {{ report_sources() }}
        and extract(year from received_date) = {{ report_year() }}

),

results as (

    select * from {{ ref('dim_result') }}

),

by_result as (

    select
        results.sort_order * 10 as line_order,
        results.result_code as line_code,
        results.label_ru as line,
        count(questions.appeal_id) as questions

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
        count(questions.appeal_id) as questions

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
        {{ percent('questions', '(select count(*) from questions)') }} as share_percent

    from lines

)

select * from final
order by line_order
