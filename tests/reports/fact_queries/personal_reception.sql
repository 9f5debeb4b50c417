-- Личный прием: обращения и вопросы по тому, кто вел прием, и разделам классификатора.
-- Register appeals received at personal (and field) reception in the report period (January to through_month
-- of the report year), by who received the applicant (глава, заместитель, специалист) and by classifier
-- section of the questions. Always the register source, whatever the sources parameter says.
-- Параметры / parameters: year, through_month, territory.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

appeals as (

    select appeals.*

    from marts.fct_appeals as appeals

    inner join period
        on appeals.received_date >= period.period_start
        and appeals.received_date < period.period_end

    where appeals.source_code = 'register'
        and appeals.channel_code in ('personal_reception', 'field_reception')
        and (
            cast(%(territory)s as text) is null
            or appeals.territory_key in (select access.territory_keys(%(territory)s))
        )

),

questions as (

    select * from marts.fct_appeal_questions

),

topics as (

    select * from marts.dim_topic

),

labels as (

    select code, label_ru from marts.dim_code where vocabulary = 'received_by'

),

final as (

    select
        coalesce(appeals.received_by, 'unknown') as received_by_code,
        coalesce(labels.label_ru, 'не указано') as received_by,
        topics.section_name as section,
        count(distinct appeals.appeal_id) as appeals,
        count(*) as questions

    from appeals

    inner join questions
        on appeals.appeal_id = questions.appeal_id

    inner join topics
        on questions.topic_code = topics.topic_code

    left join labels
        on appeals.received_by = labels.code

    group by 1, 2, 3

)

select * from final
order by received_by_code, questions desc, section
