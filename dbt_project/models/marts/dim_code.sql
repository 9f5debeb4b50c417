-- Russian labels of the other canonical vocabularies of the facts: origin_code, appeal_type, form,
-- satisfaction, received_by (personal reception), territory and organisation levels.

with

labels as (

    select * from {{ ref('code_labels') }}

),

final as (

    select
        vocabulary,
        code,
        label_ru,
        cast(sort_order as integer) as sort_order

    from labels

)

select * from final
