-- The ОКТМО hierarchy as territories: regions (RR000000), municipalities (RRMMM000) and settlements
-- (RRMMMSSS), each with its region and municipality. Group rows of the classifier («Муниципальные районы …»,
-- «Сельские поселения …») are headings, not territories, and are left out.

with

oktmo as (

    select * from {{ ref('oktmo_municipalities') }}

),

regions as (

    select * from {{ ref('regions') }}

),

classified as (

    select
        oktmo,
        btrim(name) as name,
        case
            when oktmo ~ '^\d{2}000000$' then 'region'
            when btrim(name) ~ '^(Муниципальные |Городские округа|Городские поселения|Сельские поселения|Межселенн|Внутригородские)'
                then null
            when right(oktmo, 3) = '000' then 'municipality'
            else 'settlement'
        end as territory_level

    from oktmo

),

territories as (

    select
        classified.oktmo,
        classified.territory_level,
        case
            when classified.territory_level = 'region' then coalesce(regions.name, classified.name)
            else classified.name
        end as name,
        {{ region_oktmo('classified.oktmo') }} as region_oktmo,
        regions.name as region_name,
        case
            when classified.territory_level in ('municipality', 'settlement')
                then {{ municipality_oktmo('classified.oktmo') }}
        end as municipality_oktmo,
        municipalities.name as municipality_name

    from classified

    left join regions
        on {{ region_oktmo('classified.oktmo') }} = regions.region_oktmo

    left join classified as municipalities
        on {{ municipality_oktmo('classified.oktmo') }} = municipalities.oktmo
        and municipalities.territory_level = 'municipality'
        and classified.territory_level in ('municipality', 'settlement')

    where classified.territory_level is not null

)

select * from territories
