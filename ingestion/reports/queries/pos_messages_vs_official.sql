-- Платформа обратной связи: сообщения и обращения по 59-ФЗ по кварталам, с результатами.
-- ПОС records of the report year by quarter: messages vs 59-ФЗ appeals, their share, and outcomes.
-- vars: report_year.

with

pos as (

    select * from {{ ref('fct_appeals') }}

    where source_code = 'pos'
        and extract(year from received_date) = {{ report_year() }}

),

final as (

    select
        cast(extract(quarter from received_date) as integer) as quarter,
        count(*) filter (where not is_official_appeal) as messages,
        count(*) filter (where is_official_appeal) as official_appeals,
        count(*) as total,
        {{ percent('count(*) filter (where is_official_appeal)', 'count(*)') }} as official_share_percent,
        count(*) filter (where final_result_code = 'supported') as solved,
        count(*) filter (where final_result_code = 'explained') as explained,
        count(*) filter (where final_result_code = 'not_supported') as rejected,
        count(*) filter (where final_result_code = 'in_progress') as in_progress,
        count(*) filter (where is_overdue) as overdue,
        round(avg(rating), 2) as average_rating

    from pos

    group by 1

)

select * from final
order by quarter
