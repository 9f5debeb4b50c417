-- Delivery channels (вид доставки) with Russian labels, their group and usual form.

with

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        channel_code,
        label_ru,
        channel_group,
        form,
        cast(sort_order as integer) as sort_order

    from channels

)

select * from final
