{#- Helpers of the report queries in analyses/. -#}

{#- The report year: `--vars '{report_year: 2024}'`, else the latest year the facts hold. -#}
{% macro report_year() -%}
    {%- if var('report_year', none) is not none -%}
        {{ var('report_year') | int }}
    {%- else -%}
        (select cast(extract(year from max(received_date)) as integer) from {{ ref('fct_appeals') }})
    {%- endif -%}
{%- endmacro %}

{#- Sources a report counts (`--vars '{report_sources: [register, pos]}'`); 59-ФЗ registers by default. -#}
{% macro report_sources(default=['register']) -%}
    ('{{ var('report_sources', default) | join("', '") }}')
{%- endmacro %}

{#- A percentage with one decimal, null when the base is zero. -#}
{% macro percent(part, whole) -%}
    round(100.0 * ({{ part }}) / nullif({{ whole }}, 0), 1)
{%- endmacro %}
