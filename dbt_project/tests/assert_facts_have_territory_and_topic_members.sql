-- Every fact row points at a territory member and a topic member of the dimensions (possibly the unknown
-- territory or `unclassified`), so inner joins in reports never drop rows.

with

appeals as (

    select * from {{ new_rows(ref('fct_appeals')) }} as appeals_checked

),

questions as (

    select * from {{ new_rows(ref('fct_appeal_questions')) }} as questions_checked

),

territories as (

    select * from {{ ref('dim_territory') }}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

appeal_rows as (

    select
        'fct_appeals' as fact,
        appeals.appeal_id,
        cast(null as integer) as question_no,
        territories.territory_key is null as lacks_territory,
        topics.topic_code is null as lacks_topic

    from appeals

    left join territories
        on appeals.territory_key = territories.territory_key

    left join topics
        on appeals.primary_topic_code = topics.topic_code

),

question_rows as (

    select
        'fct_appeal_questions' as fact,
        questions.appeal_id,
        questions.question_no,
        territories.territory_key is null as lacks_territory,
        topics.topic_code is null as lacks_topic

    from questions

    left join territories
        on questions.territory_key = territories.territory_key

    left join topics
        on questions.topic_code = topics.topic_code

)

select * from appeal_rows where lacks_territory or lacks_topic
union all
select * from question_rows where lacks_territory or lacks_topic
