-- Outcomes of a question (результат рассмотрения) with Russian labels; ПОС and incident outcomes map onto
-- the same codes (seeds crosswalks/pos_results and crosswalks/incident_results).

with

results as (

    select * from {{ ref('results') }}

),

final as (

    select
        result_code,
        label_ru,
        result_group,
        is_final,
        cast(sort_order as integer) as sort_order

    from results

)

select * from final
