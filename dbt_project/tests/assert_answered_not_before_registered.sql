-- An appeal is answered no earlier than it was registered — or it carries the data-quality flag
-- is_answered_before_registered (the source said so; reports can leave it out).

select
    appeal_id,
    registered_at,
    answered_at,
    is_answered_before_registered

from {{ new_rows(ref('fct_appeals')) }} as appeals_checked

where answered_at < registered_at
    and not is_answered_before_registered
