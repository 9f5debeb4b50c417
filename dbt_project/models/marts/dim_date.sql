-- One row per calendar day: the project's range (vars dim_date_start, dim_date_end) widened to every date
-- the facts carry.

with

appeals as (

    select * from {{ ref('fct_appeals') }}

),

bounds as (

    select
        least(date '{{ var("dim_date_start") }}', min(received_date)) as first_day,
        greatest(date '{{ var("dim_date_end") }}', max(received_date)) as last_day

    from appeals

),

days as (

    select cast(day as date) as date_key

    from bounds,
        generate_series(bounds.first_day, bounds.last_day, interval '1 day') as day

),

final as (

    select
        date_key,
        cast(extract(year from date_key) as integer) as year,
        cast(extract(quarter from date_key) as integer) as quarter,
        cast(extract(month from date_key) as integer) as month,
        (array[
            'январь', 'февраль', 'март', 'апрель', 'май', 'июнь',
            'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'
        ])[extract(month from date_key)] as month_name_ru,
        cast(extract(week from date_key) as integer) as iso_week,
        cast(extract(isoyear from date_key) as integer) as iso_year,
        cast(extract(isodow from date_key) as integer) as day_of_week,
        (array['понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота', 'воскресенье'])[
            extract(isodow from date_key)
        ] as day_of_week_name_ru,
        cast(date_trunc('month', date_key) as date) as month_start,
        cast(date_trunc('quarter', date_key) as date) as quarter_start,
        extract(isodow from date_key) >= 6 as is_weekend

    from days

)

select * from final
