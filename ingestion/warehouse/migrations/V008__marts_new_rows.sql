-- The nightly mart suites check the night's fact rows (ingestion/quality/marts_gate.py, docs/quality.md).
--
--   marts_new_rows    views fct_appeals and fct_appeal_questions over the candidate's facts of batches newer
--                     than the candidate held before the build; put first on the mart suites' search_path,
--                     they stand in for the facts in the row checks. Made and dropped by each run; not for
--                     analysts (no grants).

create schema if not exists marts_new_rows;
comment on schema marts_new_rows is
    'Views of the fact rows a nightly build added, while the mart suites check them. Not for analysts.';
grant usage, create on schema marts_new_rows to transformer;
