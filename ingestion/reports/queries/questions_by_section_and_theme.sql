-- Тематика вопросов по разделам и тематикам классификатора, с долями и сравнением с прошлым годом.
-- Questions of the report year by classifier section (level 1 of dim_topic) and, under each section, by
-- theme (level 2): a section line followed by its theme lines, each with its share of all the year's
-- questions, the previous year and the change. Sections and themes by questions, most first.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

questions as (

    select * from {{ ref('fct_appeal_questions') }}

    where source_code in {{ report_sources() }}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

by_theme as (

    select
        topics.section_code,
        topics.section_name,
        topics.theme_code,
        topics.theme_name,
        count(*) filter (where dates.year = {{ report_year() }}) as year_total,
        count(*) filter (where dates.year = {{ report_year() }} - 1) as previous_year_total

    from questions

    inner join dates
        on questions.received_date = dates.date_key

    inner join topics
        on questions.topic_code = topics.topic_code

    where dates.year between {{ report_year() }} - 1 and {{ report_year() }}

    group by 1, 2, 3, 4

),

by_section as (

    select
        section_code,
        section_name,
        cast(sum(year_total) as bigint) as year_total,
        cast(sum(previous_year_total) as bigint) as previous_year_total

    from by_theme

    group by 1, 2

),

section_order as (

    select
        section_code,
        row_number() over (order by year_total desc, previous_year_total desc, section_code) as section_rank

    from by_section

),

lines as (

    select
        1 as level,
        section_code,
        section_name as section,
        cast(null as text) as theme_code,
        cast(null as text) as theme,
        section_name as line,
        year_total,
        previous_year_total

    from by_section

    union all

    select
        2 as level,
        section_code,
        section_name as section,
        theme_code,
        theme_name as theme,
        theme_name as line,
        year_total,
        previous_year_total

    from by_theme

    where theme_code is not null

),

final as (

    select
        section_order.section_rank,
        lines.level,
        lines.section_code,
        lines.section,
        lines.theme_code,
        lines.theme,
        lines.line,
        lines.year_total,
        {{ percent('lines.year_total', '(select sum(year_total) from by_section)') }} as share_percent,
        lines.previous_year_total,
        lines.year_total - lines.previous_year_total as change,
        {{ percent('lines.year_total - lines.previous_year_total', 'lines.previous_year_total') }}
            as change_percent

    from lines

    inner join section_order
        on lines.section_code = section_order.section_code

    where lines.year_total > 0 or lines.previous_year_total > 0

)

select * from final
order by section_rank, level, year_total desc, previous_year_total desc, theme_code
