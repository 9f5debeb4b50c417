-- The federal thematic classifier of appeals: every entry of the five levels (раздел, тематика, группа,
-- вопрос, уточнение) keyed by its full code, with its ancestors' codes and names, plus the `unclassified`
-- member for ПОС categories and incident rubrics the crosswalks do not map.

with

classifier as (

    select * from {{ ref('classifier') }}

),

named as (

    select
        entries.code as topic_code,
        cast(entries.level as integer) as level,
        entries.name,
        entries.parent_code,
        entries.section_code,
        sections.name as section_name,
        entries.theme_code,
        themes.name as theme_name,
        entries.group_code,
        groups.name as group_name,
        case when entries.level >= 4 then left(entries.code, 19) end as question_code,
        questions.name as question_name

    from classifier as entries

    left join classifier as sections
        on entries.section_code = sections.code

    left join classifier as themes
        on entries.theme_code = themes.code

    left join classifier as groups
        on entries.group_code = groups.code

    left join classifier as questions
        on entries.level >= 4
        and left(entries.code, 19) = questions.code

),

members as (

    select * from named

    union all

    select
        'unclassified' as topic_code,
        0 as level,
        'Не классифицировано' as name,
        cast(null as text) as parent_code,
        'unclassified' as section_code,
        'Не классифицировано' as section_name,
        'unclassified' as theme_code,
        'Не классифицировано' as theme_name,
        cast(null as text) as group_code,
        cast(null as text) as group_name,
        cast(null as text) as question_code,
        cast(null as text) as question_name

),

final as (

    select
        topic_code,
        level,
        case level
            when 0 then 'не классифицировано'
            when 1 then 'раздел'
            when 2 then 'тематика'
            when 3 then 'группа'
            when 4 then 'вопрос'
            when 5 then 'уточнение'
        end as level_name_ru,
        name,
        parent_code,
        section_code,
        section_name,
        theme_code,
        theme_name,
        group_code,
        group_name,
        question_code,
        question_name,
        topic_code = 'unclassified' as is_unclassified

    from members

)

select * from final
