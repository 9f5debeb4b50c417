-- Reports (as a warning) every source value the crosswalks did not map: ПОС categories and incident rubrics
-- without a classifier code, ПОС stages/decisions and incident statuses without a result, receiving bodies
-- missing from the directory, municipality names that match nothing, register codes not in the classifier.
-- Extend the seeds in seeds/crosswalks/ (see dbt_project/README.md) and rebuild.

{{ config(severity='warn') }}

select * from {{ new_rows(ref('int_unmapped_source_values')) }} as unmapped_checked
