-- Source values the crosswalks and look-ups could not map, in the current versions of the records: what
-- analysts extend the crosswalk seeds with. Never guessed: an unmapped category lands in `unclassified`,
-- an unresolved place in the unknown territory, an unmapped status gets no result — and is listed here.

with

findings as (

    select * from {{ ref('int_unmapped_source_findings') }}

),

final as (

    select
        source_code,
        kind,
        value_as_written,
        count(distinct appeal_id) as appeals,
        min(batch_id) as first_batch_id,
        max(batch_id) as last_batch_id

    from findings

    group by source_code, kind, value_as_written

)

select * from final
