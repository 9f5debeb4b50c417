-- The quality gate validates several batches of a feed in one GX run (ingestion/quality/gate.py, docs/quality.md).
--
--   quality.gate_batch_ids()  the batches this session validates: the session setting appeals.batch_ids (an
--                             array literal, `-c appeals.batch_ids={3,4,5}`), else the one of appeals.batch_id
--   quality.<feed>_batch      redefined (same columns): the rows of every batch of that set
--
-- A check that compares rows with each other compares rows of the same batch only (conflicting registration
-- numbers), so a group run sees exactly what the runs of its batches one by one would see, together.
-- quality.gate_batch_id() is unchanged: it names one batch (appeals.batch_id) and is null in a group run. The
-- batch-level checks read it (volume, extra headers: queries on audit.load_batches), so a group run finds
-- nothing there, and the gate runs those queries itself for each batch of the group (appeals.batch_id set).

create function quality.gate_batch_ids() returns bigint[]
    language sql stable parallel safe
    as $$
        select coalesce(
            nullif(current_setting('appeals.batch_ids', true), '')::bigint[],
            array[quality.gate_batch_id()]
        )
    $$;
comment on function quality.gate_batch_ids() is
    'The batches the gate validates in this session: appeals.batch_ids, else {appeals.batch_id}.';
grant execute on function quality.gate_batch_ids() to loader, transformer;

create or replace view quality.register_batch as
with conflicting_numbers as (
    -- registration numbers whose rows carry different registration dates within one year (of the session's
    -- time zone: the gate sets the batch's), within one batch. A number whose rows span two years is taken
    -- as two appeals.
    select n.batch_id, n.body_oktmo, n.reg_number
    from (
        select r.batch_id, r.body_oktmo, r.reg_number, min(r.registered_at) as first_at, max(r.registered_at) as last_at
        from raw.register_rows as r
        where r.batch_id = any((select quality.gate_batch_ids())::bigint[])
        group by r.batch_id, r.body_oktmo, r.reg_number
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
        when (r.batch_id, r.body_oktmo, r.reg_number)
            in (select c.batch_id, c.body_oktmo, c.reg_number from conflicting_numbers as c)
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
where r.batch_id = any((select quality.gate_batch_ids())::bigint[]);

create or replace view quality.pos_batch as
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
where p.batch_id = any((select quality.gate_batch_ids())::bigint[]);

create or replace view quality.incident_batch as
with reference as (
    select v.vocabulary, v.value, v.value_key
    from quality.reference_values as v
    where v.vocabulary in ('incident_status', 'incident_rubric')
),

-- each municipality name of the batches once: the name look-ups are regular expressions, too dear per row
-- (whether a name resolves does not depend on its batch)
place_names as (
    select
        i.municipality_name,
        quality.normalise_key(i.municipality_name)
            in (select n.name_key from quality.municipality_names as n where n.match_kind in ('alias', 'exact'))
            or quality.place_name_key(i.municipality_name)
            in (select n.name_key from quality.municipality_names as n where n.match_kind = 'tolerant')
            as is_resolvable
    from raw.incident_rows as i
    where i.batch_id = any((select quality.gate_batch_ids())::bigint[])
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
where i.batch_id = any((select quality.gate_batch_ids())::bigint[]);

create or replace view quality.organizations_batch as
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
where o.batch_id = any((select quality.gate_batch_ids())::bigint[]);

comment on view quality.register_batch is
    'Rows of the register batches named by appeals.batch_ids (else appeals.batch_id), as the gate checks them.';
comment on view quality.pos_batch is
    'Rows of the ПОС batches named by appeals.batch_ids (else appeals.batch_id), as the gate checks them.';
comment on view quality.incident_batch is
    'Rows of the incident batches named by appeals.batch_ids (else appeals.batch_id), as the gate checks them.';
comment on view quality.organizations_batch is
    'Rows of the organisations directory batches named by appeals.batch_ids (else appeals.batch_id), as the gate checks them.';
