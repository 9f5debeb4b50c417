-- Every delivered version of every appeal, ПОС message and incident in one shape (spam included, flagged).

{%- set columns = [
    'appeal_id', 'source_code', 'source_record_id', 'batch_id', 'source_row_number', 'applicant_key',
    'organization_key', 'territory_oktmo', 'oktmo', 'territory_match',
    'channel_code', 'origin_code', 'appeal_type', 'form', 'final_result_code', 'satisfaction', 'received_by',
    'social_network', 'source_status', 'source_result_as_written', 'source_category', 'source_subcategory',
    'source_place', 'topic_code', 'is_topic_mapped',
    'is_official_appeal', 'is_collective', 'is_repeat', 'on_control', 'is_spam', 'is_overdue_as_exported',
    'received_date', 'registered_at', 'due_at', 'answered_at', 'batch_loaded_at',
    'question_count', 'rating',
] %}

with

register_appeals as (

    select * from {{ ref('int_register_appeals_resolved') }}

),

pos_messages as (

    select * from {{ ref('int_pos_messages_resolved') }}

),

incidents as (

    select * from {{ ref('int_incidents_resolved') }}

),

unioned as (

    {% for relation in ['register_appeals', 'pos_messages', 'incidents'] %}
    select {{ columns | join(', ') }} from {{ relation }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

select * from unioned
