-- ОКТМО territories with their region and municipality, plus the unknown member. The ОКТМО reference has
-- no history yet, so every territory has one version valid from 1900-01-01 to 9999-12-31; a renamed or
-- re-coded territory becomes a new version (valid_from/valid_to) with its own territory_key.

with

territories as (

    select * from {{ ref('int_territories') }}

),

level_labels as (

    select code, label_ru from {{ ref('code_labels') }} where vocabulary = 'territory_level'

),

versions as (

    select
        oktmo,
        name,
        territory_level,
        region_oktmo,
        region_name,
        municipality_oktmo,
        municipality_name,
        date '1900-01-01' as valid_from,
        date '9999-12-31' as valid_to

    from territories

),

members as (

    select
        {{ surrogate_key(['oktmo', 'valid_from']) }} as territory_key,
        oktmo,
        name,
        territory_level as level,
        region_oktmo,
        region_name,
        municipality_oktmo,
        municipality_name,
        valid_from,
        valid_to

    from versions

    union all

    select
        {{ unknown_territory_key() }} as territory_key,
        cast(null as text) as oktmo,
        'Территория не определена' as name,
        'unknown' as level,
        cast(null as text) as region_oktmo,
        cast(null as text) as region_name,
        cast(null as text) as municipality_oktmo,
        cast(null as text) as municipality_name,
        date '1900-01-01' as valid_from,
        date '9999-12-31' as valid_to

),

final as (

    select
        members.territory_key,
        members.oktmo,
        members.name,
        members.level,
        level_labels.label_ru as level_label_ru,
        members.region_oktmo,
        members.region_name,
        members.municipality_oktmo,
        members.municipality_name,
        members.valid_from,
        members.valid_to,
        members.valid_to = date '9999-12-31' as is_current

    from members

    left join level_labels
        on members.level = level_labels.code

)

select * from final
