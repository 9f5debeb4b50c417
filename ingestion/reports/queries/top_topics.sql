-- ТОП-N вопросов по классификатору с долей от общего числа вопросов.
-- The report year's most frequent classifier questions (level 4; уточнения roll up to their question).
-- vars: report_year, report_sources (default: register), top_n (default 10).

with

questions as (

    select * from {{ ref('fct_appeal_questions') }}

    where source_code in {{ report_sources() }}
        and extract(year from received_date) = {{ report_year() }}

),

topics as (

    select * from {{ ref('dim_topic') }}

),

by_question as (

    select
        coalesce(topics.question_code, topics.topic_code) as topic_code,
        count(*) as questions

    from questions

    inner join topics
        on questions.topic_code = topics.topic_code

    group by 1

),

ranked as (

    select
        rank() over (order by by_question.questions desc) as topic_rank,
        by_question.topic_code,
        named.name as topic,
        named.section_name as section,
        by_question.questions,
        {{ percent('by_question.questions', '(select count(*) from questions)') }} as share_percent

    from by_question

    inner join topics as named
        on by_question.topic_code = named.topic_code

)

select * from ranked
where topic_rank <= {{ var('top_n', 10) | int }}
order by topic_rank, topic_code
