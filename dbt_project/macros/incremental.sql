{#- Incremental loads follow load batches: a run reads only batches newer than the newest one already in the
    model (`batch_column` of `this`). Batch ids grow with load order and the newest batch of a record wins,
    so a record's newest version is always in the batches a run reads. -#}
{% macro batch_watermark(batch_column='batch_id') -%}
    (select coalesce(max({{ batch_column }}), 0) from {{ this }})
{%- endmacro %}

{#- Monthly aggregates are incremental by month: a run recomputes, from the facts, every month that holds
    a fact row of a batch newer than `var('since_batch')` (publish_marts passes the candidate facts' newest
    batch before the build), and replaces those months (delete+insert on month_start). Without the var every
    month is recomputed, which is always correct. A month an appeal left (a corrected date, a spam flag) is
    not recomputed: the mart suites' totals (`sums_to` over the whole tables) catch that, the publication
    fails and the next one rebuilds from scratch.

    Use in a model:
        config(materialized='incremental', unique_key='month_start', incremental_strategy='delete+insert')
        select … from {{ ref('fct_appeals') }} as appeals
        {% if is_incremental() %} where {{ in_changed_months('appeals.received_date', ref('fct_appeals')) }} {% endif %}
-#}
{% macro in_changed_months(date_column, facts) -%}
    {%- set since = var('since_batch', none) -%}
    {%- if since is none -%}
        true
    {%- else -%}
        cast(date_trunc('month', {{ date_column }}) as date) in (
            select distinct cast(date_trunc('month', changed.received_date) as date)
            from {{ facts }} as changed
            where changed.loaded_batch_id > {{ since | int }}
        )
    {%- endif -%}
{%- endmacro %}
