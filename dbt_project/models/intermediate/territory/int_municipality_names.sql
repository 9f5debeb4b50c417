-- Municipality names as operators write them → ОКТМО. Three kinds of match, tried in this order:
--   alias     the crosswalk seed municipality_aliases (normalised spelling), maintained by analysts;
--   exact     the ОКТМО name itself (normalised: case, ё/е, spaces);
--   tolerant  the place_name_key of the ОКТМО name (quotes, «г.», «МО ГО», «р-н», … ignored).
-- Exact and tolerant matches are looked for in the regions the committee's directory covers (all regions
-- while no directory is loaded) and count only when they name exactly one municipality.

{{ config(materialized='table') }}

with

territories as (

    select * from {{ ref('int_territories') }}

),

aliases as (

    select * from {{ ref('municipality_aliases') }}

),

organizations as (

    select * from {{ ref('int_organizations_versioned') }}

),

covered_regions as (

    select distinct {{ region_oktmo('oktmo') }} as region_oktmo

    from organizations

    where is_current and oktmo is not null

),

candidate_municipalities as (

    select territories.*

    from territories

    where territories.territory_level = 'municipality'
        and (
            territories.region_oktmo in (select region_oktmo from covered_regions)
            or not exists (select 1 from covered_regions)
        )

),

candidates as (

    select
        'alias' as match_kind,
        {{ normalise_key('spelling') }} as name_key,
        {{ oktmo8('oktmo') }} as oktmo

    from aliases

    union all

    select
        'exact' as match_kind,
        {{ normalise_key('name') }} as name_key,
        oktmo

    from candidate_municipalities

    union all

    select
        'tolerant' as match_kind,
        {{ place_name_key('name') }} as name_key,
        oktmo

    from candidate_municipalities

),

unambiguous as (

    select
        match_kind,
        name_key,
        min(oktmo) as oktmo

    from candidates

    where name_key is not null and oktmo is not null

    group by match_kind, name_key

    having count(distinct oktmo) = 1

)

select * from unambiguous
