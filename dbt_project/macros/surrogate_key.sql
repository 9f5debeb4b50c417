{#- A stable text key from one or more expressions (md5 of the values joined with '|'; null → '∅'). -#}
{% macro surrogate_key(expressions) -%}
    md5(concat_ws('|'
    {%- for expression in expressions -%}
        , coalesce(({{ expression }})::text, '∅')
    {%- endfor -%}
    ))
{%- endmacro %}

{#- The key of dim_territory's unknown member. -#}
{% macro unknown_territory_key() -%}
    md5('unknown')
{%- endmacro %}
