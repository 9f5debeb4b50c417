{#- Custom schemas are used as they are (staging, intermediate, marts, reference), not prefixed with the
    target schema: the schemas are part of the warehouse's interface and its grants. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
