{#- Rows whose column (when not null) does not match a POSIX regular expression. -#}
{% test matches_pattern(model, column_name, pattern) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and not ({{ column_name }} ~ '{{ pattern }}')

{% endtest %}
