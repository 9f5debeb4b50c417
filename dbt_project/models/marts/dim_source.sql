-- The feeds appeals come from, with Russian labels.

with

sources as (

    select * from {{ ref('sources') }}

),

final as (

    select
        source_code,
        label_ru,
        source_group,
        cast(sort_order as integer) as sort_order

    from sources

)

select * from final
