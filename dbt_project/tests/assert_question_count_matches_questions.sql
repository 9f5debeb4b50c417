-- fct_appeals.question_count equals the number of the appeal's rows in fct_appeal_questions.

with

appeals as (

    select * from {{ ref('fct_appeals') }}

),

questions as (

    select appeal_id, count(*) as questions

    from {{ ref('fct_appeal_questions') }}

    group by appeal_id

)

select
    appeals.appeal_id,
    appeals.question_count,
    coalesce(questions.questions, 0) as questions

from appeals

left join questions
    on appeals.appeal_id = questions.appeal_id

where appeals.question_count is distinct from coalesce(questions.questions, 0)
