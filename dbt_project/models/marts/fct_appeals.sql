-- One row per appeal (register), ПОС message or incident, in its newest delivered version; spam incidents
-- excluded. Incremental by load batch: a run takes the appeals whose newest version came with a batch newer
-- than the newest one here and replaces their rows (delete+insert on appeal_id), so a re-exported record
-- updates its appeal and never duplicates it.

-- analyze after each build: the night's rows are new to the planner; without fresh statistics the nightly
-- tests (`loaded_batch_id > N`) were planned as one row and ran as nested loops for minutes.

{{
    config(
        materialized='incremental',
        unique_key='appeal_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_excluded_appeals('loaded_batch_id') }}",
        post_hook=["{{ restrict_to_granted_territories() }}", "analyze {{ this }}"],
        meta={'new_rows_column': 'loaded_batch_id'},
        indexes=[
            {'columns': ['loaded_batch_id']},
            {'columns': ['received_date']},
            {'columns': ['territory_key']},
            {'columns': ['oktmo', 'received_date desc', 'appeal_id']},
        ],
    )
}}

with

appeals as (

    select * from {{ ref('int_appeals_current') }}

    where not is_spam

    {% if is_incremental() %}
        and batch_id > {{ batch_watermark('loaded_batch_id') }}
    {% endif %}

),

territories as (

    select * from {{ ref('dim_territory') }}

),

with_territory as (

    select
        appeals.*,
        coalesce(
            exact_territory.territory_key,
            municipality.territory_key,
            region.territory_key,
            {{ unknown_territory_key() }}
        ) as territory_key

    from appeals

    left join territories as exact_territory
        on appeals.territory_oktmo = exact_territory.oktmo
        and appeals.received_date >= exact_territory.valid_from
        and appeals.received_date < exact_territory.valid_to

    left join territories as municipality
        on appeals.oktmo = municipality.oktmo
        and appeals.received_date >= municipality.valid_from
        and appeals.received_date < municipality.valid_to

    left join territories as region
        on {{ region_oktmo('appeals.oktmo') }} = region.oktmo
        and appeals.received_date >= region.valid_from
        and appeals.received_date < region.valid_to

),

final as (

    select
        -- ids and keys
        appeal_id,
        source_code,
        source_record_id,
        territory_key,
        oktmo,
        received_date,
        primary_topic_code,
        organization_key,
        applicant_key,
        batch_id as loaded_batch_id,

        -- attributes
        channel_code,
        origin_code,
        appeal_type,
        form,
        final_result_code,
        satisfaction,
        received_by,
        social_network,
        source_status,
        source_category,

        -- flags
        is_official_appeal,
        is_collective,
        is_repeat,
        on_control,
        is_overdue,
        is_answered_before_registered,

        -- dates
        registered_at,
        due_at,
        answered_at,

        -- measures
        cast(question_count as integer) as question_count,
        cast(response_hours as numeric(12, 2)) as response_hours,
        cast(rating as smallint) as rating

    from with_territory

)

select * from final
