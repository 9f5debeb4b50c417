-- Raw layer: one row per source row of each loaded export, typed, with its lineage.
-- Personal data (names, contacts, addresses, free texts, author profiles) lives here and nowhere else;
-- applicant_key is its keyed pseudonym (HMAC-SHA256), the only applicant identifier that leaves raw.
-- Every version of a record is kept: a re-export adds rows under a new batch, the newest batch wins downstream.
-- Only the primary key is indexed: dbt reads raw by batch, and every extra index slows COPY down.

create table raw.pos_rows (
    batch_id               bigint not null references audit.load_batches (batch_id) on delete cascade,
    source_row_number      integer not null,
    file_sha256            text not null,
    message_id             text not null,
    epgu_id                text,
    tech_source            text,
    region_account         text,
    category               text not null,
    subcategory            text,
    fact                   text,
    receiving_org          text not null,
    handling_org           text,
    received_at            timestamptz not null,
    due_at                 timestamptz,
    closed_at              timestamptz,
    stage                  text not null,
    status                 text,
    is_overdue             boolean,
    is_fast_track          boolean,
    fz_marker              text,
    applicant_chose_59fz   boolean,
    decision_type          text,
    emailed_to_foiv        boolean,
    rating                 smallint,
    is_repeat_review       boolean,
    coordinator_name       text,
    executor_name          text,
    manager_name           text,
    applicant_key          text,
    extras                 jsonb,
    primary key (batch_id, source_row_number)
);

create table raw.incident_rows (
    batch_id               bigint not null references audit.load_batches (batch_id) on delete cascade,
    source_row_number      integer not null,
    file_sha256            text not null,
    incident_id            text not null,
    published_at           timestamptz not null,
    registered_at          timestamptz,
    social_network         text not null,
    post_url               text,
    author                 text,
    post_text              text,
    rubric                 text not null,
    subrubric              text,
    municipality_name      text not null,
    oktmo                  text,
    status                 text not null,
    executor               text,
    answered_at            timestamptz,
    message_type           text,
    is_spam                boolean,
    reach                  bigint,
    applicant_key          text,
    extras                 jsonb,
    primary key (batch_id, source_row_number)
);

create table raw.register_rows (
    batch_id               bigint not null references audit.load_batches (batch_id) on delete cascade,
    source_row_number      integer not null,
    file_sha256            text not null,
    body_oktmo             text not null,          -- the registering body's ОКТМО (folder or Организация)
    reg_number             text not null,
    registered_at          timestamptz not null,
    received_at            timestamptz,
    appeal_type            text not null,
    form                   text not null,
    channel_code           text not null,
    origin_code            text not null,
    is_collective          boolean,
    is_repeat              boolean,
    correspondent          text,
    address                text,
    oktmo                  text not null,
    topic_code             text not null,
    question_text          text,
    result_code            text not null,
    measures_taken         boolean,
    due_at                 timestamptz,
    extended_due_at        timestamptz,
    answered_at            timestamptz,
    on_control             boolean,
    by_commission          boolean,
    on_site                boolean,
    with_applicant         boolean,
    satisfaction           text,
    executor               text,
    received_by            text,
    organization           text,
    applicant_key          text,
    extras                 jsonb,
    primary key (batch_id, source_row_number)
);

create table raw.organizations_rows (
    batch_id               bigint not null references audit.load_batches (batch_id) on delete cascade,
    source_row_number      integer not null,
    file_sha256            text not null,
    name                   text not null,
    oktmo                  text not null,
    level                  text not null,
    extras                 jsonb,
    primary key (batch_id, source_row_number)
);

comment on table raw.pos_rows is 'Feedback Platform (ПОС) export rows, every version; personal data: staff names.';
comment on table raw.incident_rows is 'Social-media incident rows, every version; personal data: author, post text, URL.';
comment on table raw.register_rows is 'Municipal register rows (one per question), every version; personal data: correspondent, address.';
comment on table raw.organizations_rows is 'The committee''s directory of bodies (name → ОКТМО), every delivered version.';

alter table audit.load_batches add column timezone text;
comment on column audit.load_batches.timezone is
    'Zone in which the file''s local times were read (the territory''s); dbt derives local dates with it.';

-- A register file's identity includes its body folder: the same bytes under another body are other data.
drop index audit.load_batches_one_load_per_file;
create unique index load_batches_one_load_per_file
    on audit.load_batches (file_sha256, coalesce(body, ''))
    where status in ('loading', 'loaded', 'validated', 'published');
comment on column audit.load_batches.body is 'register feed: the body folder as delivered (ОКТМО or name)';
