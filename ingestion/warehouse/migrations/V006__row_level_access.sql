-- Row-level access to the published marts (docs/access.md).
--
--   municipal_analyst          group role of the analysts limited to some territories: reads marts (and nothing
--                              else), and sees only the rows of the territories granted to it
--   access.territory_grants    which login role sees which ОКТМО (a region, a municipality or a settlement
--                              code; a grant covers every territory under it). `appeals access grant` writes it.
--   access.territory_keys(code)        the dim_territory members at or under an ОКТМО code (all, for null):
--                                      the territory roll-up used by the reports
--   access.visible_territory_keys()    the members the current role was granted: the row-level policies of
--                                      the marts (dbt macro restrict_to_granted_territories) compare with it
--
-- The functions name marts.dim_territory in a string body, so they always read the published dimension,
-- including after a schema swap.

-- the functions read marts.dim_territory, which dbt creates after the migrations on a new warehouse
set check_function_bodies = off;

create schema if not exists access;
comment on schema access is 'Who may see which territories of the marts (row-level security).';

do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'municipal_analyst') then
        begin
            create role municipal_analyst nologin;
        exception when duplicate_object or unique_violation then
            null;  -- created concurrently by another database's migration
        end;
    end if;
end
$$;
comment on role municipal_analyst is
    'Analysts limited to their territories: member roles read marts rows of the ОКТМО granted in access.territory_grants';

create table access.territory_grants (
    role_name   text not null,
    oktmo       text not null check (oktmo ~ '^[0-9]{8}([0-9]{3})?$'),
    granted_at  timestamptz not null default now(),
    granted_by  text not null default session_user,
    primary key (role_name, oktmo)
);
comment on table access.territory_grants is
    'One row per (login role, ОКТМО): the role sees the marts rows of that territory and of every territory under it.';

-- each municipal analyst reads its own grants (the policies of the marts read them as that role)
alter table access.territory_grants enable row level security;
create policy own_grants on access.territory_grants for select to municipal_analyst
    using (role_name = current_user);

create function access.territory_keys(code text) returns setof text
language sql stable parallel safe
as 'select territory_key from marts.dim_territory
    where code is null or code in (oktmo, municipality_oktmo, region_oktmo)';
comment on function access.territory_keys(text) is
    'dim_territory members at or under an ОКТМО code (region, municipality or settlement); every member for null.';

create function access.visible_territory_keys() returns text[]
language sql stable parallel safe
as 'select coalesce(array_agg(distinct t.territory_key), ''{}'')
    from access.territory_grants g
    join marts.dim_territory t on g.oktmo in (t.oktmo, t.municipality_oktmo, t.region_oktmo)
    where g.role_name = current_user';
comment on function access.visible_territory_keys() is
    'The dim_territory members the current role was granted (row-level security of the marts).';

revoke all on schema access from public;
revoke all on all functions in schema access from public;
grant usage on schema access to analyst, bi, municipal_analyst, transformer;
grant execute on function access.territory_keys(text) to analyst, bi, municipal_analyst, transformer;
grant execute on function access.visible_territory_keys() to municipal_analyst;
grant select on access.territory_grants to municipal_analyst;

-- municipal analysts read marts like analysts do (the row-level policies then limit the rows)
grant usage on schema marts to municipal_analyst;
grant select on all tables in schema marts to municipal_analyst;
alter default privileges in schema marts grant select on tables to municipal_analyst;
alter default privileges in schema marts_next grant select on tables to municipal_analyst;
