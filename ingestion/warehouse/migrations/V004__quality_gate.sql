-- The quality gate (ingestion/quality, expectations/): GX validates one load batch at a time, inside PostgreSQL.
--
--   quality.<feed>_batch     a view per feed: the rows of the batch named by the session setting
--                            appeals.batch_id (the gate sets it per connection), with look-up columns the
--                            expectations check (unknown_*, unresolved_*: null when the value was found)
--   quality.reference_*      the reference values the look-ups use, refreshed by the gate from the project's
--                            reference files (classifier, ОКТМО, crosswalk seeds) when those files change
--   audit.validation_results each failed or warned check of a validated batch, with counts and examples
--
-- The normalisation functions repeat dbt's macros normalise_key and place_name_key
-- (dbt_project/macros/text_keys.sql): a spelling the gate accepts must be one the models resolve.

create schema if not exists quality;
comment on schema quality is
    'The quality gate: views that show GX one load batch at a time, and the reference values they check against.';

-- The batch this session validates: `-c appeals.batch_id=N` on the gate's connections; null elsewhere.
create function quality.gate_batch_id() returns bigint
    language sql stable parallel safe
    as $$ select nullif(current_setting('appeals.batch_id', true), '')::bigint $$;

create function quality.normalise_key(value text) returns text
    language sql immutable parallel safe
    as $$
        select nullif(rtrim(btrim(regexp_replace(
            lower(replace(replace(value, 'ё', 'е'), 'Ё', 'Е')),
            '[\s\u00a0]+', ' ', 'g'
        )), '. '), '')
    $$;
comment on function quality.normalise_key(text) is
    'Look-up key of a value written by people: lower case, ё→е, whitespace collapsed, trailing dots dropped.';

create function quality.place_name_key(value text) returns text
    language sql immutable parallel safe
    as $$
        select nullif(btrim(
            regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                btrim(regexp_replace(translate(quality.normalise_key(value), '«»"“”„''`', '        '), '\s+', ' ', 'g')),
                '(^| )р-н( |$)', '\1район\2', 'g'),
                'муниципальн(ый|ого) (район|округ)', '\2', 'g'),
                '^((г\.|г |гор\.|город |город-курорт |г\.-к\. |мо го |мого |мо |го |мр |городской округ |муниципальное образование |район |округ |зато )\s*)+', ''),
                ' (городской округ|го)$', ''),
                ' мо$', ' округ'),
                '\s+', ' ', 'g')
        ), '')
    $$;
comment on function quality.place_name_key(text) is
    'Tolerant key of a municipality name: quotes, «г.», «МО ГО», «р-н», … ignored (as dbt''s place_name_key).';

-- Reference values ------------------------------------------------------------------------------------

create table quality.reference_values (
    vocabulary  text not null,   -- classifier | pos_stage | pos_decision | pos_category | incident_status
                                 -- | incident_rubric | municipality_alias
    value       text not null,   -- as written in the reference file
    value_key   text,            -- quality.normalise_key(value)
    oktmo       text,            -- municipality_alias: the ОКТМО the spelling stands for
    primary key (vocabulary, value)
);
create index reference_values_key on quality.reference_values (vocabulary, value_key);
comment on table quality.reference_values is
    'Values a batch is checked against (classifier codes, crosswalk spellings), from the project''s reference files.';

create table quality.reference_territories (
    oktmo            text primary key,
    name             text not null,
    territory_level  text,           -- region | municipality | settlement; null for the headings of the list
    name_key         text,           -- quality.normalise_key(name), municipalities only
    place_key        text            -- quality.place_name_key(name), municipalities only
);
comment on table quality.reference_territories is 'The ОКТМО list (dbt_project/seeds/reference/oktmo_municipalities.csv).';

create table quality.reference_sources (
    source     text primary key,     -- the file, relative to the project
    sha256     text not null,
    rows       integer not null,
    loaded_at  timestamptz not null default now()
);
comment on table quality.reference_sources is 'Which version of each reference file the reference tables hold.';

-- Organisation names of the directory versions the loader resolves with, and their look-up keys.
create view quality.organization_names as
select
    names.name,
    quality.normalise_key(names.name) as name_key
from (
    select distinct o.name
    from raw.organizations_rows as o
    where o.batch_id in (
        select b.batch_id from audit.load_batches as b
        where b.feed = 'organizations' and b.status in ('loaded', 'validated', 'published')
    )
) as names;

-- Municipality names → ОКТМО as dbt's int_municipality_names resolves them: aliases (crosswalk seed), exact
-- and tolerant names of the ОКТМО list in the regions the current directory covers (all regions while none is
-- loaded), each key counting only when it names exactly one municipality.
create view quality.municipality_names as
with current_directory as (
    select max(b.batch_id) as batch_id
    from audit.load_batches as b
    where b.feed = 'organizations' and b.status in ('loaded', 'validated', 'published')
),

covered_regions as (
    select distinct left(o.oktmo, 2) as region
    from raw.organizations_rows as o
    where o.batch_id = (select batch_id from current_directory) and o.oktmo ~ '^\d{8}'
),

municipalities as (
    select t.*
    from quality.reference_territories as t
    where t.territory_level = 'municipality'
        and (left(t.oktmo, 2) in (select region from covered_regions) or not exists (select from covered_regions))
),

candidates as (
    select 'alias' as match_kind, v.value_key as name_key, v.oktmo from quality.reference_values as v
    where v.vocabulary = 'municipality_alias'
    union all
    select 'exact', m.name_key, m.oktmo from municipalities as m
    union all
    select 'tolerant', m.place_key, m.oktmo from municipalities as m
)

select match_kind, name_key, min(oktmo) as oktmo
from candidates
where name_key is not null and oktmo is not null
group by match_kind, name_key
having count(distinct oktmo) = 1;

-- One view per feed: the rows of the gate's batch ------------------------------------------------------
-- Every column a check reads is computed here, so that GX bundles all the row checks of a batch into one
-- aggregate over one scan. Required text values show an empty string as missing (the loader never writes
-- one: it means the row did not come through the loader's contract); `missing_required` names a row's empty
-- required values, so that GX checks them all in one sum. Look-ups are hashed sub-plans built
-- once per query; they compare the value as written first and its normalised key only when that misses, so
-- the usual row costs one hash probe. Order checks show the offending pair of dates, in the session's
-- time zone (the gate sets the batch's), and are null for good rows.

create view quality.register_batch as
with conflicting_numbers as (
    -- registration numbers whose rows carry different registration dates within one year (of the session's
    -- time zone: the gate sets the batch's). A number whose rows span two years is taken as two appeals.
    select n.body_oktmo, n.reg_number
    from (
        select r.body_oktmo, r.reg_number, min(r.registered_at) as first_at, max(r.registered_at) as last_at
        from raw.register_rows as r
        where r.batch_id = (select quality.gate_batch_id())
        group by r.body_oktmo, r.reg_number
    ) as n
    where n.first_at <> n.last_at
        and extract(year from n.first_at) = extract(year from n.last_at)
)

select
    r.batch_id,
    r.source_row_number,
    nullif(r.body_oktmo, '') as body_oktmo,
    nullif(r.reg_number, '') as reg_number,
    r.registered_at,
    nullif(r.appeal_type, '') as appeal_type,
    nullif(r.form, '') as form,
    nullif(r.channel_code, '') as channel_code,
    nullif(r.origin_code, '') as origin_code,
    nullif(r.oktmo, '') as oktmo,
    nullif(r.topic_code, '') as topic_code,
    nullif(r.result_code, '') as result_code,
    r.satisfaction,
    r.received_by,
    r.received_at,
    r.answered_at,
    case
        when (r.body_oktmo, r.reg_number) in (select c.body_oktmo, c.reg_number from conflicting_numbers as c)
            then r.reg_number || ': ' || r.registered_at::date
    end as conflicting_reg_number,
    case
        when r.received_at > r.registered_at
            then r.reg_number || ': received ' || r.received_at::date || ' > registered ' || r.registered_at::date
    end as received_at_after_registered_at,
    case
        when r.answered_at < r.registered_at
            then r.reg_number || ': answered ' || r.answered_at::date || ' < registered ' || r.registered_at::date
    end as answered_at_before_registered_at,
    case
        when r.topic_code in (select v.value from quality.reference_values as v where v.vocabulary = 'classifier')
            then null
        else r.topic_code
    end as unknown_topic_code,
    case
        when left(r.oktmo, 8) in (select t.oktmo from quality.reference_territories as t) then null
        else r.oktmo
    end as unresolved_oktmo,
    case
        when r.body_oktmo in (select t.oktmo from quality.reference_territories as t) then null
        else r.body_oktmo
    end as unresolved_body_oktmo,
    -- the row's empty required values (one column for all: GX checks it in one sum)
    case
        when coalesce(r.body_oktmo, '') = ''
            or coalesce(r.reg_number, '') = ''
            or r.registered_at is null
            or coalesce(r.appeal_type, '') = ''
            or coalesce(r.form, '') = ''
            or coalesce(r.channel_code, '') = ''
            or coalesce(r.origin_code, '') = ''
            or coalesce(r.oktmo, '') = ''
            or coalesce(r.topic_code, '') = ''
            or coalesce(r.result_code, '') = ''
        then 'row ' || r.source_row_number || ': ' || concat_ws(', ',
            case when coalesce(r.body_oktmo, '') = '' then 'body_oktmo' end,
            case when coalesce(r.reg_number, '') = '' then 'reg_number' end,
            case when r.registered_at is null then 'registered_at' end,
            case when coalesce(r.appeal_type, '') = '' then 'appeal_type' end,
            case when coalesce(r.form, '') = '' then 'form' end,
            case when coalesce(r.channel_code, '') = '' then 'channel_code' end,
            case when coalesce(r.origin_code, '') = '' then 'origin_code' end,
            case when coalesce(r.oktmo, '') = '' then 'oktmo' end,
            case when coalesce(r.topic_code, '') = '' then 'topic_code' end,
            case when coalesce(r.result_code, '') = '' then 'result_code' end)
    end as missing_required
from raw.register_rows as r
where r.batch_id = (select quality.gate_batch_id());

create view quality.pos_batch as
with reference as (
    select v.vocabulary, v.value, v.value_key
    from quality.reference_values as v
    where v.vocabulary in ('pos_stage', 'pos_decision', 'pos_category')
)

select
    p.batch_id,
    p.source_row_number,
    nullif(p.message_id, '') as message_id,
    nullif(p.category, '') as category,
    nullif(p.receiving_org, '') as receiving_org,
    p.received_at,
    nullif(p.stage, '') as stage,
    p.decision_type,
    p.closed_at,
    case
        when p.closed_at < p.received_at
            then p.message_id || ': closed ' || p.closed_at::date || ' < received ' || p.received_at::date
    end as closed_at_before_received_at,
    case
        when p.receiving_org in (select o.name from quality.organization_names as o)
            or p.receiving_org ~ '^\s*\d{8}(\d{3})?\s*$'
            or quality.normalise_key(p.receiving_org) in (select o.name_key from quality.organization_names as o)
            then null
        else p.receiving_org
    end as unresolved_receiving_org,
    case
        when p.stage in (select value from reference where vocabulary = 'pos_stage')
            or quality.normalise_key(p.stage) in (select value_key from reference where vocabulary = 'pos_stage')
            then null
        else p.stage
    end as unknown_stage,
    case
        when nullif(btrim(p.decision_type), '') is null
            or p.decision_type in (select value from reference where vocabulary = 'pos_decision')
            or quality.normalise_key(p.decision_type)
                in (select value_key from reference where vocabulary = 'pos_decision')
            then null
        else p.decision_type
    end as unknown_decision_type,
    case
        when p.category in (select value from reference where vocabulary = 'pos_category')
            or quality.normalise_key(p.category) in (select value_key from reference where vocabulary = 'pos_category')
            then null
        else p.category
    end as unmapped_category,
    -- the row's empty required values (one column for all: GX checks it in one sum)
    case
        when coalesce(p.message_id, '') = ''
            or coalesce(p.category, '') = ''
            or coalesce(p.receiving_org, '') = ''
            or p.received_at is null
            or coalesce(p.stage, '') = ''
        then 'row ' || p.source_row_number || ': ' || concat_ws(', ',
            case when coalesce(p.message_id, '') = '' then 'message_id' end,
            case when coalesce(p.category, '') = '' then 'category' end,
            case when coalesce(p.receiving_org, '') = '' then 'receiving_org' end,
            case when p.received_at is null then 'received_at' end,
            case when coalesce(p.stage, '') = '' then 'stage' end)
    end as missing_required
from raw.pos_rows as p
where p.batch_id = (select quality.gate_batch_id());

create view quality.incident_batch as
with reference as (
    select v.vocabulary, v.value, v.value_key
    from quality.reference_values as v
    where v.vocabulary in ('incident_status', 'incident_rubric')
),

-- each municipality name of the batch once: the name look-ups are regular expressions, too dear per row
place_names as (
    select
        i.municipality_name,
        quality.normalise_key(i.municipality_name)
            in (select n.name_key from quality.municipality_names as n where n.match_kind in ('alias', 'exact'))
            or quality.place_name_key(i.municipality_name)
            in (select n.name_key from quality.municipality_names as n where n.match_kind = 'tolerant')
            as is_resolvable
    from raw.incident_rows as i
    where i.batch_id = (select quality.gate_batch_id())
    group by i.municipality_name
)

select
    i.batch_id,
    i.source_row_number,
    nullif(i.incident_id, '') as incident_id,
    i.published_at,
    i.registered_at,
    i.answered_at,
    nullif(i.social_network, '') as social_network,
    nullif(i.rubric, '') as rubric,
    nullif(i.municipality_name, '') as municipality_name,
    i.oktmo,
    nullif(i.status, '') as status,
    i.message_type,
    case
        when i.registered_at < i.published_at
            then i.incident_id || ': registered ' || i.registered_at || ' < published ' || i.published_at
    end as registered_at_before_published_at,
    case
        when i.answered_at < i.published_at
            then i.incident_id || ': answered ' || i.answered_at || ' < published ' || i.published_at
    end as answered_at_before_published_at,
    case
        when left(i.oktmo, 8) in (select t.oktmo from quality.reference_territories as t) then null
        when nullif(i.oktmo, '') is null and place_names.is_resolvable then null
        else coalesce(nullif(i.oktmo, ''), i.municipality_name)
    end as unresolved_municipality_name,
    case
        when i.status in (select value from reference where vocabulary = 'incident_status')
            or quality.normalise_key(i.status) in (select value_key from reference where vocabulary = 'incident_status')
            then null
        else i.status
    end as unknown_status,
    case
        when i.rubric in (select value from reference where vocabulary = 'incident_rubric')
            or quality.normalise_key(i.rubric) in (select value_key from reference where vocabulary = 'incident_rubric')
            then null
        else i.rubric
    end as unmapped_rubric,
    -- the row's empty required values (one column for all: GX checks it in one sum)
    case
        when coalesce(i.incident_id, '') = ''
            or i.published_at is null
            or coalesce(i.social_network, '') = ''
            or coalesce(i.rubric, '') = ''
            or coalesce(i.municipality_name, '') = ''
            or coalesce(i.status, '') = ''
        then 'row ' || i.source_row_number || ': ' || concat_ws(', ',
            case when coalesce(i.incident_id, '') = '' then 'incident_id' end,
            case when i.published_at is null then 'published_at' end,
            case when coalesce(i.social_network, '') = '' then 'social_network' end,
            case when coalesce(i.rubric, '') = '' then 'rubric' end,
            case when coalesce(i.municipality_name, '') = '' then 'municipality_name' end,
            case when coalesce(i.status, '') = '' then 'status' end)
    end as missing_required
from raw.incident_rows as i
left join place_names on place_names.municipality_name = i.municipality_name
where i.batch_id = (select quality.gate_batch_id());

create view quality.organizations_batch as
select
    o.batch_id,
    o.source_row_number,
    nullif(o.name, '') as name,
    quality.normalise_key(o.name) as name_key,
    nullif(o.oktmo, '') as oktmo,
    nullif(o.level, '') as level,
    case
        when left(o.oktmo, 8) in (select t.oktmo from quality.reference_territories as t) then null
        else o.oktmo
    end as unresolved_oktmo,
    -- the row's empty required values (one column for all: GX checks it in one sum)
    case
        when coalesce(o.name, '') = ''
            or coalesce(o.oktmo, '') = ''
            or coalesce(o.level, '') = ''
        then 'row ' || o.source_row_number || ': ' || concat_ws(', ',
            case when coalesce(o.name, '') = '' then 'name' end,
            case when coalesce(o.oktmo, '') = '' then 'oktmo' end,
            case when coalesce(o.level, '') = '' then 'level' end)
    end as missing_required
from raw.organizations_rows as o
where o.batch_id = (select quality.gate_batch_id());

comment on view quality.register_batch is 'Rows of the register batch named by appeals.batch_id, as the gate checks them.';
comment on view quality.pos_batch is 'Rows of the ПОС batch named by appeals.batch_id, as the gate checks them.';
comment on view quality.incident_batch is 'Rows of the incident batch named by appeals.batch_id, as the gate checks them.';
comment on view quality.organizations_batch is
    'Rows of the organisations directory batch named by appeals.batch_id, as the gate checks them.';

-- Validation results ----------------------------------------------------------------------------------

create table audit.validation_results (
    result_id           bigint generated always as identity primary key,
    batch_id            bigint not null references audit.load_batches (batch_id) on delete cascade,
    check_name          text not null,       -- <feed>.<column>.<check>, as listed in ingestion/quality/checks.py
    column_name         text,                -- the column of quality.<feed>_batch; null for batch-level checks
    severity            text not null check (severity in ('error', 'warning')),
    outcome             text not null check (outcome in ('failed', 'warned', 'tolerated')),
    expectation_type    text not null,       -- the GX expectation, e.g. expect_column_values_to_be_in_set
    threshold           numeric,             -- the check's `mostly` (share of rows that must pass) or ratio
    rows_checked        bigint,              -- rows (or non-empty values) the expectation looked at
    unexpected_count    bigint,
    unexpected_percent  numeric(8, 4),
    observed_value      jsonb,               -- GX's observed value, for checks that are not row counts
    examples            jsonb not null default '[]'::jsonb,  -- a few unexpected values or rows
    message             text not null,       -- what was found, for people
    validated_at        timestamptz not null default now()
);

comment on table audit.validation_results is
    'Quality gate: each failed, warned or tolerated check of the latest validation of a load batch.';
comment on column audit.validation_results.outcome is
    'failed: an error check failed, the batch is rejected; warned: a warning check failed; '
    'tolerated: an error check passed under its threshold but found rows outside it.';

create index validation_results_batch on audit.validation_results (batch_id);

-- Grants: the gate runs with the loader's rights; dbt may read what the gate found; analysts and BI see none.
grant usage on schema quality to loader, transformer;
grant select, insert, update, delete on all tables in schema quality to loader;
grant select on all tables in schema quality to transformer;
alter default privileges in schema quality grant select, insert, update, delete on tables to loader;
alter default privileges in schema quality grant select on tables to transformer;
grant execute on all functions in schema quality to loader, transformer;

grant select, insert, update, delete on audit.validation_results to loader;
grant select on audit.validation_results to transformer;
grant usage, select on all sequences in schema audit to loader;
