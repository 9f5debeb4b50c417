-- The load audit: one row per export file, and the rows that could not be loaded.

create table audit.load_batches (
    batch_id           bigint generated always as identity primary key,
    feed               text not null check (feed in ('pos', 'incident', 'register', 'organizations')),
    file_path          text not null,            -- path relative to the landing folder
    file_sha256        text not null check (file_sha256 ~ '^[0-9a-f]{64}$'),
    file_bytes         bigint not null,
    body               text,                     -- registering body (register feed), from the folder
    status             text not null default 'loading'
                       check (status in ('loading', 'loaded', 'validated', 'rejected', 'failed', 'published')),
    rows_read          integer,
    rows_loaded        integer,
    rows_quarantined   integer,
    header_row         integer,
    encoding           text,
    delimiter          text,
    error              text,                     -- why the file was rejected or failed, for people
    details            jsonb not null default '{}'::jsonb,
    started_at         timestamptz not null default now(),
    finished_at        timestamptz,
    constraint load_batches_rows_balance check (
        rows_read is null or rows_read = coalesce(rows_loaded, 0) + coalesce(rows_quarantined, 0)
    )
);

comment on table audit.load_batches is
    'One row per export file seen by ingestion: counts (rows read = loaded + quarantined), status, timings.';

-- A file (by content) is loaded once: a second delivery of the same bytes is skipped.
create unique index load_batches_one_load_per_file
    on audit.load_batches (file_sha256)
    where status in ('loading', 'loaded', 'validated', 'published');

create index load_batches_feed_status on audit.load_batches (feed, status);

create table audit.quarantine (
    quarantine_id      bigint generated always as identity primary key,
    batch_id           bigint not null references audit.load_batches (batch_id) on delete cascade,
    row_number         integer not null,         -- row in the file as a person sees it (1-based)
    column_name        text,                     -- the header as written in the file; '*' for the whole row
    reason             text not null,
    original           jsonb not null,           -- the row as it was: header -> text
    quarantined_at     timestamptz not null default now()
);

comment on table audit.quarantine is
    'Rows that could not be parsed: file batch, row number, column, reason and the original values.';

create index quarantine_batch on audit.quarantine (batch_id);
