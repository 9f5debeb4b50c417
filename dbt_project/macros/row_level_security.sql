{#- Row-level security of a mart with a territory_key (docs/access.md, migration V006):
    analyst and bi read every row; a member of municipal_analyst reads the rows of the territories granted to
    it in access.territory_grants (`appeals access grant`). The table's owner (the builder) is not limited.
    A post-hook: the policies are (re)attached every time dbt builds the table. -#}
{% macro restrict_to_granted_territories() -%}
    alter table {{ this }} enable row level security;
    drop policy if exists readers_see_every_territory on {{ this }};
    create policy readers_see_every_territory on {{ this }} for select to analyst, bi using (true);
    drop policy if exists municipal_analysts_see_granted_territories on {{ this }};
    create policy municipal_analysts_see_granted_territories on {{ this }} for select to municipal_analyst
        using (territory_key = any ((select access.visible_territory_keys())::text[]))
{%- endmacro %}
