-- Every source value the crosswalks and look-ups could not map, in the current versions of the records: one
-- row per appeal and value, with the batch it came with (int_unmapped_source_values counts them; tests of a
-- nightly build read the night's batches only).

{{ config(meta={'new_rows_column': 'batch_id'}) }}

with

-- not materialized: read three times, a CTE is otherwise computed whole first, and a filter on the view
-- (a nightly test's `batch_id > N`) would no longer reach the batch_id indexes
appeals as not materialized (

    select * from {{ ref('int_appeals_current') }}

),

questions as (

    select * from {{ ref('int_appeal_questions_current') }}

),

findings as (

    select source_code, 'topic' as kind, source_category as value_as_written, appeal_id, batch_id
    from appeals
    where source_code in ('pos', 'incident') and not is_topic_mapped

    union all

    select source_code, 'result' as kind, source_result_as_written as value_as_written, appeal_id, batch_id
    from appeals
    where source_code in ('pos', 'incident') and final_result_code is null

    union all

    select
        source_code,
        case source_code when 'pos' then 'organization' else 'municipality' end as kind,
        source_place as value_as_written,
        appeal_id,
        batch_id
    from appeals
    where source_code in ('pos', 'incident') and territory_oktmo is null

    union all

    select 'register' as source_code, 'topic' as kind, topic_code_as_written as value_as_written, appeal_id, batch_id
    from questions
    where topic_code_as_written is not null and not is_topic_mapped

)

select * from findings
