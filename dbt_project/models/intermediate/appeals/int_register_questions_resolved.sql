-- Register rows as questions of their appeal version: an appeal version is the rows of one natural key
-- (body, year, № РК) in one batch, numbered in row order. Classifier codes are checked against the
-- classifier (the full code is the key); a code it does not know becomes `unclassified`.

with

questions as (

    select * from {{ ref('stg_register__questions') }}

),

classifier as (

    select * from {{ ref('classifier') }}

),

resolved as (

    select
        questions.*,
        classifier.code is not null as is_topic_mapped,
        coalesce(classifier.code, 'unclassified') as topic_code,
        row_number() over (by_version order by questions.source_row_number) as question_no,
        count(*) over by_version as question_count

    from questions

    left join classifier
        on questions.topic_code_as_written = classifier.code

    window by_version as (partition by questions.appeal_id, questions.batch_id)

)

select * from resolved
