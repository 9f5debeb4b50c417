{#- Tests of the nightly build look at the night's rows only. publish_marts passes `var('since_batch')`, the
    newest batch the candidate facts held before the build; a data test on a model whose config names a
    `new_rows_column` in `meta` (the batch column: `batch_id` upstream, `loaded_batch_id` in the facts) then
    checks the rows of newer batches: every row a nightly build adds or replaces. Without the var (a full
    refresh, a hand-run `dbt build`) every test reads its whole table.

    dbt's own `get_where_subquery` (what applies a test's `where` config) is overridden here so every generic
    test gets the filter without a line of yml; singular tests call `new_rows(ref(...))` themselves. -#}

{% macro new_rows_condition(node_config) -%}
    {%- set since = var('since_batch', none) -%}
    {%- set column = (node_config.get('meta') or {}).get('new_rows_column') if node_config else none -%}
    {%- if since is not none and column -%}
        {{ column }} > {{ since | int }}
    {%- endif -%}
{%- endmacro %}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append(where) -%}
    {%- endif -%}
    {%- if execute -%}
        {%- set attached = model.get('attached_node') -%}
        {%- set tested = graph.nodes.get(attached) if attached else none -%}
        {%- set new_rows = new_rows_condition(tested.config if tested else none) | trim -%}
        {%- if new_rows -%}
            {%- do conditions.append(new_rows) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- In a singular test: the model's rows of the night (see above), or the whole model. -#}
{% macro new_rows(relation) -%}
    {%- set tested = graph.nodes.get('model.' ~ project_name ~ '.' ~ relation.identifier) if execute else none -%}
    {%- set condition = new_rows_condition(tested.config if tested else none) | trim -%}
    {%- if condition -%}
        (select * from {{ relation }} where {{ condition }})
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}
