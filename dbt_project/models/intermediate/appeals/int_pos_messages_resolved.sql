-- ПОС messages in the common appeal shape, one row per delivered version: the receiving body resolved to
-- its territory through the directory as it stood when the message was received, the category crosswalked
-- to the federal classifier, the stage and decision mapped to a result.

with

messages as (

    select * from {{ ref('stg_pos__messages') }}

),

organizations as (

    select * from {{ ref('int_organizations_versioned') }}

),

category_topics as (

    select
        {{ normalise_key('category') }} as category_key,
        {{ normalise_key('subcategory') }} as subcategory_key,
        topic_code

    from {{ ref('pos_category_topics') }}

),

results as (

    select
        {{ normalise_key('stage') }} as stage_key,
        {{ normalise_key('decision_type') }} as decision_type_key,
        result_code

    from {{ ref('pos_results') }}

),

-- every directory version of the receiving body, the one valid when the message was received first,
-- else the nearest in time (one row per message when the body is unknown)
with_body_candidates as (

    select
        messages.*,
        organizations.organization_key,
        organizations.oktmo as body_oktmo,
        row_number() over (
            partition by messages.batch_id, messages.source_row_number
            order by
                (messages.received_at >= organizations.valid_from
                    and messages.received_at < organizations.valid_to) desc,
                (organizations.valid_from <= messages.received_at) desc,
                abs(extract(epoch from (organizations.valid_from - messages.received_at)))
        ) as body_candidate_rank

    from messages

    left join organizations
        on messages.receiving_org_key = organizations.organization_name_key

),

resolved as (

    select
        messages.*,
        coalesce(by_subcategory.topic_code, by_category.topic_code) as crosswalk_topic_code,
        coalesce(by_decision.result_code, by_stage.result_code) as result_code

    from with_body_candidates as messages

    left join category_topics as by_subcategory
        on messages.category_key = by_subcategory.category_key
        and messages.subcategory_key = by_subcategory.subcategory_key

    left join category_topics as by_category
        on messages.category_key = by_category.category_key
        and by_category.subcategory_key is null

    left join results as by_decision
        on messages.stage_key = by_decision.stage_key
        and messages.decision_type_key = by_decision.decision_type_key

    left join results as by_stage
        on messages.stage_key = by_stage.stage_key
        and by_stage.decision_type_key is null

    where messages.body_candidate_rank = 1

),

final as (

    select
        -- ids
        appeal_id,
        'pos' as source_code,
        message_id as source_record_id,
        batch_id,
        source_row_number,
        applicant_key,
        organization_key,

        -- territory
        body_oktmo as territory_oktmo,
        {{ municipality_oktmo('body_oktmo') }} as oktmo,
        case when body_oktmo is not null then 'organization' end as territory_match,

        -- attributes
        'pos' as channel_code,
        'direct' as origin_code,
        case when is_official_appeal then 'statement' else 'other' end as appeal_type,
        'electronic' as form,
        result_code as final_result_code,
        cast(null as text) as satisfaction,
        cast(null as text) as received_by,
        cast(null as text) as social_network,
        stage || coalesce(' / ' || status, '') as source_status,
        stage || coalesce(' / ' || decision_type, '') as source_result_as_written,
        category as source_category,
        subcategory as source_subcategory,
        receiving_org as source_place,
        coalesce(crosswalk_topic_code, 'unclassified') as topic_code,
        crosswalk_topic_code is not null as is_topic_mapped,

        -- flags
        is_official_appeal,
        false as is_collective,
        coalesce(is_repeat_review, false) as is_repeat,
        cast(null as boolean) as on_control,
        false as is_spam,
        is_overdue_as_exported,

        -- dates
        received_date,
        received_at as registered_at,
        due_at,
        closed_at as answered_at,
        batch_loaded_at,

        -- measures
        1 as question_count,
        rating

    from resolved

)

select * from final
