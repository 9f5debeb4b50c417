-- Social-media incidents in the common appeal shape, one row per delivered version: the municipality from
-- the ОКТМО column, else from the name as written (alias, exact, tolerant match), the rubric crosswalked to
-- the federal classifier, the status mapped to a result. Spam is kept here and flagged.

with

incidents as (

    select * from {{ ref('stg_incident__incidents') }}

),

names as (

    select * from {{ ref('int_municipality_names') }}

),

rubric_topics as (

    select
        {{ normalise_key('rubric') }} as rubric_key,
        {{ normalise_key('subrubric') }} as subrubric_key,
        topic_code

    from {{ ref('incident_rubric_topics') }}

),

results as (

    select
        {{ normalise_key('status') }} as status_key,
        result_code

    from {{ ref('incident_results') }}

),

resolved as (

    select
        incidents.*,
        coalesce(incidents.oktmo_as_written, by_alias.oktmo, by_exact.oktmo, by_tolerant.oktmo) as place_oktmo,
        case
            when incidents.oktmo_as_written is not null then 'oktmo'
            when by_alias.oktmo is not null then 'alias'
            when by_exact.oktmo is not null then 'exact'
            when by_tolerant.oktmo is not null then 'tolerant'
        end as territory_match,
        coalesce(by_subrubric.topic_code, by_rubric.topic_code) as crosswalk_topic_code,
        results.result_code

    from incidents

    left join names as by_alias
        on by_alias.match_kind = 'alias'
        and incidents.municipality_name_key = by_alias.name_key

    left join names as by_exact
        on by_exact.match_kind = 'exact'
        and incidents.municipality_name_key = by_exact.name_key

    left join names as by_tolerant
        on by_tolerant.match_kind = 'tolerant'
        and incidents.municipality_place_key = by_tolerant.name_key

    left join rubric_topics as by_subrubric
        on incidents.rubric_key = by_subrubric.rubric_key
        and incidents.subrubric_key = by_subrubric.subrubric_key

    left join rubric_topics as by_rubric
        on incidents.rubric_key = by_rubric.rubric_key
        and by_rubric.subrubric_key is null

    left join results
        on incidents.status_key = results.status_key

),

final as (

    select
        -- ids
        appeal_id,
        'incident' as source_code,
        incident_id as source_record_id,
        batch_id,
        source_row_number,
        applicant_key,
        cast(null as text) as organization_key,

        -- territory: the municipality (an incident names no settlement)
        {{ municipality_oktmo('place_oktmo') }} as territory_oktmo,
        {{ municipality_oktmo('place_oktmo') }} as oktmo,
        territory_match,

        -- attributes
        'social_media' as channel_code,
        'direct' as origin_code,
        appeal_type,
        'electronic' as form,
        result_code as final_result_code,
        cast(null as text) as satisfaction,
        cast(null as text) as received_by,
        social_network,
        status as source_status,
        status as source_result_as_written,
        rubric as source_category,
        subrubric as source_subcategory,
        municipality_name as source_place,
        coalesce(crosswalk_topic_code, 'unclassified') as topic_code,
        crosswalk_topic_code is not null as is_topic_mapped,

        -- flags
        false as is_official_appeal,
        false as is_collective,
        false as is_repeat,
        cast(null as boolean) as on_control,
        is_spam,
        cast(null as boolean) as is_overdue_as_exported,

        -- dates
        published_date as received_date,
        registered_at,
        cast(null as timestamptz) as due_at,
        answered_at,
        batch_loaded_at,

        -- measures
        1 as question_count,
        cast(null as smallint) as rating

    from resolved

)

select * from final
