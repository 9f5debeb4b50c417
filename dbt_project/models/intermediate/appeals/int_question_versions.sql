-- Every delivered version of every question. ПОС messages and incidents carry one question each (their
-- crosswalked topic); register questions are the rows of the appeal's version.

with

register_questions as (

    select * from {{ ref('int_register_questions_resolved') }}

),

appeal_versions as (

    select * from {{ ref('int_appeal_versions') }}

),

register as (

    select
        appeal_id,
        cast(question_no as integer) as question_no,
        batch_id,
        source_row_number,
        topic_code,
        topic_code_as_written,
        is_topic_mapped,
        result_code,
        measures_taken,
        is_reviewed_by_commission,
        is_reviewed_on_site,
        is_reviewed_with_applicant

    from register_questions

),

single_question as (

    select
        appeal_id,
        1 as question_no,
        batch_id,
        source_row_number,
        topic_code,
        cast(null as text) as topic_code_as_written,
        is_topic_mapped,
        final_result_code as result_code,
        cast(null as boolean) as measures_taken,
        cast(null as boolean) as is_reviewed_by_commission,
        cast(null as boolean) as is_reviewed_on_site,
        cast(null as boolean) as is_reviewed_with_applicant

    from appeal_versions

    where source_code in ('pos', 'incident')

),

unioned as (

    select * from register
    union all
    select * from single_question

)

select * from unioned
