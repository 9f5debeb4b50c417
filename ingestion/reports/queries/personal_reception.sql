-- Личный прием: обращения и вопросы по тому, кто вел прием, и разделам классификатора.
-- Register appeals received at personal (and field) reception in the report period (January to through_month
-- of the report year), by who received the applicant (глава, заместитель, специалист) and by classifier
-- section of the questions. Always the register source, whatever the sources parameter says. Read from the
-- monthly personal reception aggregate (agg_personal_reception_monthly): its appeals are distinct within a
-- section, and an appeal lives in one month and territory, so their sums are the distinct counts.
-- Параметры / parameters: year, through_month, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

reception as (

    select reception.*

    from marts.agg_personal_reception_monthly as reception

    inner join period
        on reception.month_start >= period.period_start
        and reception.month_start < period.period_end

    where cast(%(territory)s as text) is null
        or reception.territory_key in (select access.territory_keys(%(territory)s))

),

sections as (

    select distinct section_code, section_name from marts.dim_topic

),

labels as (

    select code, label_ru from marts.dim_code where vocabulary = 'received_by'

),

final as (

    select
        coalesce(reception.received_by, 'unknown') as received_by_code,
        coalesce(labels.label_ru, 'не указано') as received_by,
        sections.section_name as section,
        sum(reception.appeals) as appeals,
        sum(reception.questions) as questions

    from reception

    left join sections
        on reception.section_code = sections.section_code

    left join labels
        on reception.received_by = labels.code

    group by 1, 2, 3

)

select * from final
order by received_by_code, questions desc, section
