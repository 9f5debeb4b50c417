{#- Seed loading for PostgreSQL: one `insert … select from unnest(<column arrays>)` per seed instead of
    dbt's default row-by-row VALUES template, which Jinja renders slowly (the 25 000-row ОКТМО seed took
    ~12 s per build; this takes well under a second). Values travel as text arrays and are cast to the
    seed table's column types. -#}
{% macro postgres__load_csv_rows(model, agate_table) %}

    {%- set cols_sql = get_seed_column_quoted_csv(model, agate_table.column_names) -%}
    {%- set column_types = {} -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
        {%- do column_types.update({column.name | lower: column.data_type}) -%}
    {%- endfor -%}

    {%- set bindings = [] -%}
    {%- for column in agate_table.columns -%}
        {%- do bindings.append(column.values() | list) -%}
    {%- endfor -%}

    {%- set sql -%}
        insert into {{ this.render() }} ({{ cols_sql }})
        select
            {%- for name in agate_table.column_names %}
            cast(c{{ loop.index }} as {{ column_types.get(name | lower, 'text') }}){% if not loop.last %},{% endif %}
            {%- endfor %}
        from unnest(
            {%- for name in agate_table.column_names -%}
            cast({{ get_binding_char() }} as text[]){% if not loop.last %}, {% endif %}
            {%- endfor -%}
        ) as seed_rows (
            {%- for name in agate_table.column_names -%}
            c{{ loop.index }}{% if not loop.last %}, {% endif %}
            {%- endfor -%}
        )
    {%- endset -%}

    {%- if agate_table.rows | length > 0 -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
    {%- endif -%}

    {{ return(sql) }}
{% endmacro %}
