-- The committee's directory of bodies as a type-2 slowly changing dimension: one row per version of a
-- body, valid from the load of the directory file that introduced it until the load of the one that changed
-- or dropped it. ПОС messages resolve their receiving body with the version valid when they were received.

with

organizations as (

    select * from {{ ref('int_organizations_versioned') }}

),

final as (

    select
        organization_key,
        organization_name,
        oktmo,
        municipality_oktmo,
        organization_level,
        valid_from,
        valid_to,
        is_current

    from organizations

)

select * from final
