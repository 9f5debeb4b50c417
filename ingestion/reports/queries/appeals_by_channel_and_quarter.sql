-- Обращения по видам доставки и кварталам, с сравнением с прошлым годом.
-- Appeals of the report year by channel and quarter, the previous year's total and the change.
-- vars: report_year (default: the latest year), report_sources (default: register).

with

appeals as (

    select * from {{ ref('fct_appeals') }}

    where source_code in {{ report_sources() }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

dates as (

    select * from {{ ref('dim_date') }}

),

counted as (

    select
        appeals.channel_code,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 1) as q1,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 2) as q2,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 3) as q3,
        count(*) filter (where dates.year = {{ report_year() }} and dates.quarter = 4) as q4,
        count(*) filter (where dates.year = {{ report_year() }}) as year_total,
        count(*) filter (where dates.year = {{ report_year() }} - 1) as previous_year_total

    from appeals

    inner join dates
        on appeals.received_date = dates.date_key

    group by appeals.channel_code

),

final as (

    select
        counted.channel_code,
        channels.label_ru as channel,
        channels.channel_group,
        counted.q1,
        counted.q2,
        counted.q3,
        counted.q4,
        counted.year_total,
        counted.previous_year_total,
        counted.year_total - counted.previous_year_total as change,
        {{ percent('counted.year_total - counted.previous_year_total', 'counted.previous_year_total') }}
            as change_percent

    from counted

    inner join channels
        on counted.channel_code = channels.channel_code

    where counted.year_total > 0 or counted.previous_year_total > 0

)

select * from final
order by year_total desc, channel_code
