-- ТОП-N вопросов по классификатору с долей от общего числа вопросов.
-- The most frequent classifier questions of the report period (January to through_month of the report year;
-- level 4, уточнения roll up to their question), ties at the N-th place all shown. Read from the question
-- facts: the aggregates stop at the theme.
-- Параметры / parameters: year, through_month, sources, territory, top_n.

with

period as (

    select
        make_date(%(year)s, 1, 1) as period_start,
        cast(make_date(%(year)s, 1, 1) + make_interval(months => %(through_month)s) as date) as period_end

),

questions as (

    select questions.topic_code

    from marts.fct_appeal_questions as questions

    inner join period
        on questions.received_date >= period.period_start
        and questions.received_date < period.period_end

    where questions.source_code = any(%(sources)s)
        and (
            cast(%(territory)s as text) is null
            or questions.territory_key in (select access.territory_keys(%(territory)s))
        )

),

topics as (

    select * from marts.dim_topic

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
        round(100.0 * by_question.questions / nullif((select count(*) from questions), 0), 1) as share_percent

    from by_question

    inner join topics as named
        on by_question.topic_code = named.topic_code

)

select * from ranked
where topic_rank <= %(top_n)s
order by topic_rank, topic_code
