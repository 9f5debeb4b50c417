{#- Look-up keys for text written by people. -#}

{#- The same normalisation as ingestion's `normalise_key`: lower case, ё→е, whitespace (NBSP too)
    collapsed, surrounding spaces and trailing dots stripped. `'  Почта  России. '` → `'почта россии'`. -#}
{% macro normalise_key(expression) -%}
    nullif(rtrim(btrim(regexp_replace(
        lower(replace(replace({{ expression }}, 'ё', 'е'), 'Ё', 'Е')),
        '[\s\u00a0]+', ' ', 'g'
    )), '. '), '')
{%- endmacro %}

{#- Tolerant key for a municipality name as operators write it: `г. Ухта`, `МО ГО "Ухта"`, `городской округ
    Ухта` and `Ухта` all become `ухта`; `МР "Новокузнецкий район"`, `Новокузнецкий р-н` and
    `Новокузнецкий муниципальный район` become `новокузнецкий район`. Steps: normalise_key; quotes removed;
    `р-н` → `район`; `муниципальный район|округ` → `район|округ`; leading status words (`г.`, `город`,
    `МО`, `ГО`, `МР`, `МОГО`, `городской округ`, `муниципальное образование`, …) stripped; a trailing
    `городской округ`/`ГО` stripped and a trailing `МО` read as `округ`. -#}
{% macro place_name_key(expression) -%}
    nullif(btrim(
        regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
            btrim(regexp_replace(translate({{ normalise_key(expression) }}, '«»"“”„''`', '        '), '\s+', ' ', 'g')),
            '(^| )р-н( |$)', '\1район\2', 'g'),
            'муниципальн(ый|ого) (район|округ)', '\2', 'g'),
            '^((г\.|г |гор\.|город |город-курорт |г\.-к\. |мо го |мого |мо |го |мр |городской округ |муниципальное образование |район |округ |зато )\s*)+', ''),
            ' (городской округ|го)$', ''),
            ' мо$', ' округ'),
            '\s+', ' ', 'g')
    ), '')
{%- endmacro %}
