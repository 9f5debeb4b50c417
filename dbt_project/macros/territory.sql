{#- ОКТМО helpers. Codes are text: 8 digits, or 11 for a populated place (its first 8 digits are the
    settlement or municipality). -#}

{#- The 8-digit territory of a written code, or null when it is not a code. -#}
{% macro oktmo8(expression) -%}
    case when btrim({{ expression }}) ~ '^\d{8}(\d{3})?$' then left(btrim({{ expression }}), 8) end
{%- endmacro %}

{#- The municipality (`RRMMM000`) a territory belongs to; a region code stays itself. -#}
{% macro municipality_oktmo(expression) -%}
    case when {{ expression }} is not null then left({{ expression }}, 5) || '000' end
{%- endmacro %}

{#- The region (`RR000000`) of a territory. -#}
{% macro region_oktmo(expression) -%}
    case when {{ expression }} is not null then left({{ expression }}, 2) || '000000' end
{%- endmacro %}
