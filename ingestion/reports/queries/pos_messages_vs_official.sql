-- Платформа обратной связи: сообщения и обращения по 59-ФЗ по кварталам, с результатами, и «Итого».
-- ПОС records of the report period (January to through_month of the report year) by quarter: messages vs
-- 59-ФЗ appeals, their share, and outcomes; every quarter of the period is listed (also when empty), then an
-- «Итого» line. Always the ПОС source, whatever the sources parameter says. Read from the monthly appeal
-- outcome aggregate (agg_appeal_outcomes_monthly): appeals by 59-ФЗ or not and final result, overdue, ratings.
-- Параметры / parameters: year, through_month, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

pos as (

    select
        cast(extract(quarter from outcomes.month_start) as integer) as quarter,
        sum(outcomes.appeals) filter (where not outcomes.is_official_appeal) as messages,
        sum(outcomes.appeals) filter (where outcomes.is_official_appeal) as official_appeals,
        sum(outcomes.appeals) as total,
        sum(outcomes.appeals) filter (where outcomes.final_result_code = 'supported') as solved,
        sum(outcomes.appeals) filter (where outcomes.final_result_code = 'explained') as explained,
        sum(outcomes.appeals) filter (where outcomes.final_result_code = 'not_supported') as rejected,
        sum(outcomes.appeals) filter (where outcomes.final_result_code = 'in_progress') as in_progress,
        sum(outcomes.overdue_appeals) as overdue,
        sum(outcomes.rating_sum) as rating_sum,
        sum(outcomes.ratings) as ratings

    from marts.agg_appeal_outcomes_monthly as outcomes

    inner join period
        on outcomes.month_start >= period.period_start
        and outcomes.month_start < period.period_end

    where outcomes.source_code = 'pos'
        and (
            cast(%(territory)s as text) is null
            or outcomes.territory_key in (select access.territory_keys(%(territory)s))
        )

    group by 1

),

quarters as (

    select
        quarter,
        (array['I квартал', 'II квартал', 'III квартал', 'IV квартал'])[quarter] as line

    from generate_series(1, (%(through_month)s + 2) / 3) as quarter

),

by_quarter as (

    select
        quarters.quarter,
        quarters.line,
        coalesce(pos.messages, 0) as messages,
        coalesce(pos.official_appeals, 0) as official_appeals,
        coalesce(pos.total, 0) as total,
        coalesce(pos.solved, 0) as solved,
        coalesce(pos.explained, 0) as explained,
        coalesce(pos.rejected, 0) as rejected,
        coalesce(pos.in_progress, 0) as in_progress,
        coalesce(pos.overdue, 0) as overdue,
        coalesce(pos.rating_sum, 0) as rating_sum,
        coalesce(pos.ratings, 0) as ratings

    from quarters

    left join pos
        on quarters.quarter = pos.quarter

),

total as (

    select
        cast(null as integer) as quarter,
        'Итого' as line,
        cast(sum(messages) as bigint) as messages,
        cast(sum(official_appeals) as bigint) as official_appeals,
        cast(sum(total) as bigint) as total,
        cast(sum(solved) as bigint) as solved,
        cast(sum(explained) as bigint) as explained,
        cast(sum(rejected) as bigint) as rejected,
        cast(sum(in_progress) as bigint) as in_progress,
        cast(sum(overdue) as bigint) as overdue,
        cast(sum(rating_sum) as bigint) as rating_sum,
        cast(sum(ratings) as bigint) as ratings

    from by_quarter

),

lines as (

    select * from by_quarter
    union all
    select * from total

),

final as (

    select
        quarter,
        line,
        messages,
        official_appeals,
        total,
        round(100.0 * official_appeals / nullif(total, 0), 1) as official_share_percent,
        solved,
        explained,
        rejected,
        in_progress,
        overdue,
        round(cast(rating_sum as numeric) / nullif(ratings, 0), 2) as average_rating

    from lines

)

select * from final
order by quarter nulls last
