{#- Custom schemas are used as they are (staging, intermediate, marts, reference), not prefixed with the
    target schema: the schemas are part of the warehouse's interface and its grants.
    The marts are built where `var('marts_schema')` says: `marts` by default, the candidate schema
    `marts_next` when the publish step builds them (ingestion/publish.py), to be swapped in once checked. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif custom_schema_name | trim == 'marts' -%}
        {{ var('marts_schema', 'marts') }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
