-- Количество вопросов: поставленных на контроль, рассмотренных комиссионно, с выездом на место, с участием
-- автора. Questions of the report year reviewed by a commission, on site, with the applicant (and those of
-- appeals put on control), with their share of all the year's questions, the previous year and the change.
-- A question counts in every line whose flag it has; «Всего вопросов» is the base of the shares.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

questions as (

    select * from {{ ref('fct_appeal_questions') }}

    where source_code in {{ report_sources() }}

),

appeals as (

    select * from {{ ref('fct_appeals') }}

),

dates as (

    select * from {{ ref('dim_date') }}

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

flags as (

    select
        dates.year,
        flag.line_code,
        flag.is_set

    from questions

    inner join appeals
        on questions.appeal_id = appeals.appeal_id

    inner join dates
        on questions.received_date = dates.date_key

    cross join lateral (
        values
            ('total', true),
            ('on_control', appeals.on_control),
            ('by_commission', questions.reviewed_by_commission),
            ('on_site', questions.reviewed_on_site),
            ('with_applicant', questions.reviewed_with_applicant)
    ) as flag (line_code, is_set)

    where dates.year between {{ report_year() }} - 1 and {{ report_year() }}

),

counted as (

    select
        line_code,
        count(*) filter (where is_set and year = {{ report_year() }}) as year_total,
        count(*) filter (where is_set and year = {{ report_year() }} - 1) as previous_year_total

    from flags

    group by line_code

),

by_line as (

    select
        lines.line_order,
        lines.line_code,
        lines.line,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.previous_year_total, 0) as previous_year_total

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
        {{ percent('year_total', "(select year_total from by_line where line_code = 'total')") }}
            as share_percent,
        previous_year_total,
        year_total - previous_year_total as change,
        {{ percent('year_total - previous_year_total', 'previous_year_total') }} as change_percent

    from by_line

)

select * from final
order by line_order
