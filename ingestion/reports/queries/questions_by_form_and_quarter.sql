-- Вопросы по форме обращения (письменная, электронная, устная) и кварталам, с сравнением с прошлым годом.
-- Questions of the report year by the form of their appeal and quarter, the previous year's total and the
-- change, with an «Итого» line; every form is listed, also when it has no questions.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

questions as (

    select * from {{ ref('fct_appeal_questions') }}

    where source_code in {{ report_sources() }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

forms as (

    select code as form_code, label_ru, sort_order from {{ ref('dim_code') }} where vocabulary = 'form'

),

counted as (

    select
        questions.form as form_code,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 1) as q1,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 2) as q2,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 3) as q3,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 4) as q4,
        count(*) filter (where dates.year = {{ report_year() }}) as year_total,
        count(*) filter (where dates.year = {{ report_year() }} - 1) as previous_year_total

    from questions

    inner join dates
        on questions.received_date = dates.date_key

    where dates.year between {{ report_year() }} - 1 and {{ report_year() }}

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
        coalesce(counted.previous_year_total, 0) as previous_year_total

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
        cast(sum(previous_year_total) as bigint) as previous_year_total

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
        {{ percent('year_total', '(select year_total from total)') }} as share_percent,
        previous_year_total,
        year_total - previous_year_total as change,
        {{ percent('year_total - previous_year_total', 'previous_year_total') }} as change_percent

    from lines

)

select * from final
order by line_order
