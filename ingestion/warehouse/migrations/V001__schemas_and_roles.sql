-- Schemas of the warehouse and the roles that may use them.
--   raw, audit             restricted: loaded rows with personal data, load and quality records
--   staging, intermediate  dbt work layers
--   marts                  the published star schema (read-only for analysts and BI tools)
-- Roles are cluster-wide: they are created once and reused by every database of the server.

create schema if not exists raw;
create schema if not exists audit;
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;

do $$
declare
    wanted record;
begin
    for wanted in
        select * from (values
            ('loader', false, 'Loads export files into raw and writes the load audit'),
            ('transformer', false, 'Builds staging, intermediate and marts from raw (dbt)'),
            ('analyst', true, 'Committee analysts: read-only access to marts'),
            ('bi', true, 'BI tools: read-only access to marts')
        ) as r(name, can_login, note)
    loop
        if not exists (select 1 from pg_roles where rolname = wanted.name) then
            begin
                execute format('create role %I %s', wanted.name,
                               case when wanted.can_login then 'login' else 'nologin' end);
            exception when duplicate_object or unique_violation then
                null;  -- created concurrently by another database's migration
            end;
        end if;
    end loop;
end
$$;

-- loader: writes raw and audit
grant usage, create on schema raw to loader;
grant usage, create on schema audit to loader;
grant select, insert, update, delete on all tables in schema raw, audit to loader;
grant usage, select on all sequences in schema raw, audit to loader;
alter default privileges in schema raw, audit grant select, insert, update, delete on tables to loader;
alter default privileges in schema raw, audit grant usage, select on sequences to loader;

-- transformer: reads raw and audit, owns the dbt layers
grant usage on schema raw, audit to transformer;
grant select on all tables in schema raw, audit to transformer;
alter default privileges in schema raw, audit grant select on tables to transformer;
grant usage, create on schema staging, intermediate, marts to transformer;

-- analysts and BI tools: marts only
grant usage on schema marts to analyst, bi;
grant select on all tables in schema marts to analyst, bi;
alter default privileges in schema marts grant select on tables to analyst, bi;
