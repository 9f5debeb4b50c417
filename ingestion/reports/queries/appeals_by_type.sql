-- Виды обращений (заявление, предложение, жалоба, запрос, благодарность, иное), с сравнением с прошлым годом.
-- Appeals of the report year by type, their share of the year's appeals, the previous year and the change;
-- every type is listed, also when it has no appeals. ПОС records are `statement` (59-ФЗ) or `other`.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

appeals as (

    select * from {{ ref('fct_appeals') }}

    where source_code in {{ report_sources() }}

),

types as (

    select code, label_ru, sort_order from {{ ref('dim_code') }} where vocabulary = 'appeal_type'

),

dates as (

    select * from {{ ref('dim_date') }}

),

counted as (

    select
        appeals.appeal_type,
        count(*) filter (where dates.year = {{ report_year() }}) as year_total,
        count(*) filter (where dates.year = {{ report_year() }} - 1) as previous_year_total

    from appeals

    inner join dates
        on appeals.received_date = dates.date_key

    where dates.year between {{ report_year() }} - 1 and {{ report_year() }}

    group by appeals.appeal_type

),

by_type as (

    select
        types.sort_order as line_order,
        types.code as appeal_type_code,
        types.label_ru as appeal_type,
        coalesce(counted.year_total, 0) as year_total,
        coalesce(counted.previous_year_total, 0) as previous_year_total

    from types

    left join counted
        on types.code = counted.appeal_type

),

final as (

    select
        line_order,
        appeal_type_code,
        appeal_type,
        year_total,
        {{ percent('year_total', '(select sum(year_total) from by_type)') }} as share_percent,
        previous_year_total,
        year_total - previous_year_total as change,
        {{ percent('year_total - previous_year_total', 'previous_year_total') }} as change_percent

    from by_type

)

select * from final
order by line_order
