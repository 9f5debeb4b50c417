{#- The load-batch statuses whose rows the models may use: the one place that says so.
    Returns a SQL list, e.g. `b.status in {{ usable_batch_statuses() }}`. A batch becomes usable when the
    quality gate has validated it (ingestion/quality); `published` batches are in the published marts. -#}
{% macro usable_batch_statuses() -%}
    ('validated', 'published')
{%- endmacro %}

{#- The usable load batches with the zone their local times were read in and their load time: the one
    join staging models make (`inner join ({{ usable_load_batches() }}) as batches using (batch_id)`).
    `var('batch_ceiling')`, set by the publish step, caps the batches at those usable when the build
    started, so that every model of one build sees the same batches while new ones are validated. -#}
{% macro usable_load_batches() -%}
    select
        batch_id,
        coalesce(timezone, '{{ var("default_timezone") }}') as batch_timezone,
        coalesce(finished_at, started_at) as batch_loaded_at
    from {{ source('audit', 'load_batches') }}
    where status in {{ usable_batch_statuses() }}
    {%- if var('batch_ceiling', none) is not none %}
        and batch_id <= {{ var('batch_ceiling') | int }}
    {%- endif %}
{%- endmacro %}
