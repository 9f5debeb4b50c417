{#- Local calendar date of a timestamptz in the zone its load batch was read in (audit.load_batches.timezone). -#}
{% macro local_date(timestamp_column, timezone_column) -%}
    ({{ timestamp_column }} at time zone {{ timezone_column }})::date
{%- endmacro %}
