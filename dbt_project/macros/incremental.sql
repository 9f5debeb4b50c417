{#- Incremental loads follow load batches: a run reads only batches newer than the newest one already in the
    model (`batch_column` of `this`). Batch ids grow with load order and the newest batch of a record wins,
    so a record's newest version is always in the batches a run reads. -#}
{% macro batch_watermark(batch_column='batch_id') -%}
    (select coalesce(max({{ batch_column }}), 0) from {{ this }})
{%- endmacro %}
