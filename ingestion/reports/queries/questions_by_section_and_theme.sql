-- Тематика вопросов по разделам и тематикам классификатора, с долями и сравнением с тем же периодом другого
-- года.
-- Questions of the report period (January to through_month of the report year) by classifier section (level 1
-- of dim_topic) and, under each section, by theme (level 2): a section line followed by its theme lines, each
-- with its share of all the period's questions, the same months of the comparison year and the change.
-- Sections and themes by questions, most first. Read from the monthly question aggregate.
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

topics as (

    select * from marts.dim_topic

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
        questions.section_code,
        questions.theme_code,
        sum(questions.questions) filter (where periods.period_year = %(year)s) as year_total,
        sum(questions.questions) filter (where periods.period_year = %(compare_year)s) as compare_total

    from questions

    inner join periods
        on questions.month_start >= periods.period_start
        and questions.month_start < periods.period_end

    group by 1, 2

),

by_theme as (

    select
        counted.section_code,
        sections.name as section_name,
        counted.theme_code,
        themes.name as theme_name,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.compare_total, 0) as compare_total

    from counted

    inner join topics as sections
        on counted.section_code = sections.topic_code

    left join topics as themes
        on counted.theme_code = themes.topic_code

),

by_section as (

    select
        section_code,
        section_name,
        cast(sum(year_total) as bigint) as year_total,
        cast(sum(compare_total) as bigint) as compare_total

    from by_theme

    group by 1, 2

),

section_order as (

    select
        section_code,
        row_number() over (order by year_total desc, compare_total desc, section_code) as section_rank

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
        compare_total

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
        compare_total

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
        round(100.0 * lines.year_total / nullif((select sum(year_total) from by_section), 0), 1)
            as share_percent,
        lines.compare_total,
        lines.year_total - lines.compare_total as change,
        round(100.0 * (lines.year_total - lines.compare_total) / nullif(lines.compare_total, 0), 1)
            as change_percent

    from lines

    inner join section_order
        on lines.section_code = section_order.section_code

    where lines.year_total > 0 or lines.compare_total > 0

)

select * from final
order by section_rank, level, year_total desc, compare_total desc, theme_code
