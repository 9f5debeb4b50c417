-- Reports (as a warning) every source value the crosswalks did not map: ПОС categories and incident rubrics
-- without a classifier code, ПОС stages/decisions and incident statuses without a result, receiving bodies
-- missing from the directory, municipality names that match nothing, register codes not in the classifier.
-- Extend the seeds in seeds/crosswalks/ (see dbt_project/README.md) and rebuild. A nightly build lists the values
-- of the night's batches; intermediate.int_unmapped_source_values has them all.

{{ config(severity='warn') }}

select
    source_code,
    kind,
    value_as_written,
    count(distinct appeal_id) as appeals,
    min(batch_id) as first_batch_id,
    max(batch_id) as last_batch_id

from {{ new_rows(ref('int_unmapped_source_findings')) }} as findings

group by source_code, kind, value_as_written
