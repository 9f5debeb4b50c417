{#- Pre-hook of the incremental facts: an appeal whose newest version is excluded from the facts (a spam
    incident) leaves them. Runs before the model's own delete+insert, which only replaces the appeals it
    selects. `appeal_batch_column` is the fact's lineage column (loaded_batch_id). -#}
{% macro delete_excluded_appeals(appeal_batch_column='loaded_batch_id') -%}
    {% if is_incremental() %}
    delete from {{ this }} as facts
    using {{ ref('int_appeals_current') }} as current_appeals
    where facts.appeal_id = current_appeals.appeal_id
        and current_appeals.is_spam
        and current_appeals.batch_id > {{ batch_watermark(appeal_batch_column) }}
    {% else %}
    select 1
    {% endif %}
{%- endmacro %}
