{#- The load-batch statuses whose rows the models may use: the one place that says so.
    Returns a SQL list, e.g. `b.status in {{ usable_batch_statuses() }}`. The quality gate narrows it
    (to validated and published batches) once it validates every batch before dbt runs. -#}
{% macro usable_batch_statuses() -%}
    ('loaded', 'validated', 'published')
{%- endmacro %}

{#- The usable load batches with the zone their local times were read in and their load time: the one
    join staging models make (`inner join ({{ usable_load_batches() }}) as batches using (batch_id)`). -#}
{% macro usable_load_batches() -%}
    select
        batch_id,
        coalesce(timezone, '{{ var("default_timezone") }}') as batch_timezone,
        coalesce(finished_at, started_at) as batch_loaded_at
    from {{ source('audit', 'load_batches') }}
    where status in {{ usable_batch_statuses() }}
{%- endmacro %}
