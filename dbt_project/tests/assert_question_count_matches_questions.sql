-- fct_appeals.question_count equals the number of the appeal's rows in fct_appeal_questions.

with

appeals as (

    select * from {{ new_rows(ref('fct_appeals')) }} as appeals_checked

),

questions as (

    select appeal_id, count(*) as questions

    from {{ new_rows(ref('fct_appeal_questions')) }} as questions_checked

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
