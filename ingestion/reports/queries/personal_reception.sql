-- Личный прием: обращения и вопросы по тому, кто вел прием, и разделам классификатора.
-- Register appeals received at personal (and field) reception in the report year, by who received the
-- applicant (глава, заместитель, специалист) and by classifier section of the questions.
-- vars: report_year.

with

appeals as (

    select * from {{ ref('fct_appeals') }}

    where source_code = 'register'
        and channel_code in ('personal_reception', 'field_reception')
        and extract(year from received_date) = {{ report_year() }}

),

questions as (

    select * from {{ ref('fct_appeal_questions') }}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

labels as (

    select code, label_ru from {{ ref('dim_code') }} where vocabulary = 'received_by'

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
