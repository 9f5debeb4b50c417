-- Publishing the marts (ingestion/publish.py, docs/decisions/0002-publish-by-schema-swap.md).
--
--   marts_next           the candidate: dbt builds the marts here, incrementally; dbt tests and the GX mart
--                        suites check it; then one transaction swaps it with `marts` (schema renames), so
--                        analysts see either the previous marts or the new ones, never a half-built state.
--                        After a swap, marts_next holds the previously published marts, which the next build
--                        brings up to date with the batches since then.
--   audit.publications   one row per build-and-publish attempt: what it saw, how it ended, and why.

create schema if not exists marts_next;
comment on schema marts_next is
    'Candidate marts of the build in progress; swapped with marts when every check passed. Not for analysts.';
grant usage, create on schema marts_next to transformer;
-- marts_next takes the place of marts at the next swap: the same default grants on new tables
alter default privileges in schema marts_next grant select on tables to analyst, bi;

create table audit.publications (
    publication_id     bigint generated always as identity primary key,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz,
    status             text not null default 'building'
                       check (status in ('building', 'published', 'failed')),
    full_refresh       boolean not null,         -- the candidate was rebuilt from scratch
    batch_ceiling      bigint,                   -- the newest load batch the build could use
    batches_published  integer,                  -- validated batches that became published
    appeals            bigint,                   -- rows of the published fct_appeals
    error              text,                     -- why it was not published, for people
    details            jsonb not null default '{}'::jsonb
);

comment on table audit.publications is
    'One row per attempt to build and publish the marts: status building | published | failed, and why.';

create index publications_status on audit.publications (status, publication_id);

-- The rows of a table that may not exist (null then): the mart suites compare the candidate marts with the
-- published ones, which do not exist before the first publication. A query naming a missing table fails
-- when it is parsed, so the count is dynamic SQL.
create function quality.relation_rows(relation text) returns bigint
    language plpgsql stable
    as $$
        declare
            found bigint;
        begin
            if to_regclass(relation) is null then
                return null;
            end if;
            execute format('select count(*) from %s', to_regclass(relation)) into found;
            return found;
        end
    $$;
comment on function quality.relation_rows(text) is
    'count(*) of a table named by text, or null when there is no such table (the mart suites'' publish guard).';
