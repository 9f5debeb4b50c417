-- Every appeal has at least one question, numbered from 1 without gaps.

with

appeals as (

    select * from {{ new_rows(ref('fct_appeals')) }} as appeals_checked

),

questions as (

    select
        appeal_id,
        count(*) as questions,
        min(question_no) as first_no,
        max(question_no) as last_no

    from {{ new_rows(ref('fct_appeal_questions')) }} as questions_checked

    group by appeal_id

)

select
    appeals.appeal_id,
    questions.questions,
    questions.first_no,
    questions.last_no

from appeals

left join questions
    on appeals.appeal_id = questions.appeal_id

where questions.appeal_id is null
    or questions.first_no <> 1
    or questions.last_no <> questions.questions
