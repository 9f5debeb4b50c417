-- Степень удовлетворенности заявителей результатами рассмотрения обращений.
-- Appeals of the report year by the applicant's satisfaction (satisfied, partly, not satisfied, unknown),
-- counted per appeal: satisfaction is recorded for the appeal, not per question. «Не известно» holds appeals
-- whose applicant was not asked or that are not answered yet (ПОС messages and incidents carry none).
-- Shares of all the year's appeals and of those with a known answer; the previous year and the change.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

appeals as (

    select * from {{ ref('fct_appeals') }}

    where source_code in {{ report_sources() }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

labels as (

    select code, label_ru, sort_order from {{ ref('dim_code') }} where vocabulary = 'satisfaction'

    union all

    select 'unknown' as code, 'Не известно' as label_ru, 100 as sort_order

),

counted as (

    select
        coalesce(appeals.satisfaction, 'unknown') as satisfaction_code,
        count(*) filter (where dates.year = {{ report_year() }}) as year_total,
        count(*) filter (where dates.year = {{ report_year() }} - 1) as previous_year_total

    from appeals

    inner join dates
        on appeals.received_date = dates.date_key

    where dates.year between {{ report_year() }} - 1 and {{ report_year() }}

    group by 1

),

by_satisfaction as (

    select
        labels.sort_order as line_order,
        labels.code as satisfaction_code,
        labels.label_ru as satisfaction,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.previous_year_total, 0) as previous_year_total

    from labels

    left join counted
        on labels.code = counted.satisfaction_code

),

final as (

    select
        line_order,
        satisfaction_code,
        satisfaction,
        year_total,
        {{ percent('year_total', '(select sum(year_total) from by_satisfaction)') }} as share_percent,
        case
            when satisfaction_code <> 'unknown'
                then {{ percent(
                    'year_total',
                    "(select sum(year_total) from by_satisfaction where satisfaction_code <> 'unknown')"
                ) }}
        end as share_of_known_percent,
        previous_year_total,
        year_total - previous_year_total as change,
        {{ percent('year_total - previous_year_total', 'previous_year_total') }} as change_percent

    from by_satisfaction

)

select * from final
order by line_order
