{#- Text and key cleaning shared by every staging model. Each macro returns a
    SQL expression; engine-specific pieces are dispatched so the staging
    models stay portable. -#}

{% macro cbs_clean_text(column) -%}
    {#- Text without leading or trailing white space of any kind (tabs and
        line breaks too), with empty, blank and the literal words null /
        none (any case) turned into a real NULL. -#}
    {%- set trimmed = cbs_regexp_replace(column, '^[\\s\\p{Z}]+|[\\s\\p{Z}]+$', '') -%}
    case
        when lower({{ trimmed }}) in ('', 'null', 'none') then null
        else {{ trimmed }}
    end
{%- endmacro %}


{% macro cbs_clean_id(column) -%}
    {#- A key kept as text (zero padding preserved); a whole number written
        as a float ("17850.0") loses its ".0" so it matches the same key
        written as an integer. -#}
    {{ cbs_regexp_replace(cbs_clean_text(column), '^([0-9]+)\\.0+$', '\\1') }}
{%- endmacro %}


{% macro cbs_clean_enum(column) -%}
    {#- Lower-case trimmed code for comparing with a list of allowed values. -#}
    lower({{ cbs_clean_text(column) }})
{%- endmacro %}


{% macro cbs_normalise_email(column) -%}
    {#- Lower case without any white space; NULL unless it looks like
        local@domain.tld, so that a malformed address never joins. -#}
    {%- set compact = cbs_regexp_replace('lower(' ~ cbs_clean_text(column) ~ ')', '\\s', '') -%}
    case
        when {{ cbs_regexp_like(compact, '^[^@]+@[^@]+\\.[^@]+$') }}
            then {{ compact }}
    end
{%- endmacro %}


{% macro cbs_normalise_phone(column) -%}
    {#- Digits only, with a leading + for international numbers ("00" is
        read as "+"); NULL when fewer than 7 digits remain. National
        formats without a country code are left as digits and only match
        the same national form. -#}
    {%- set text = cbs_clean_text(column) -%}
    {%- set digits = cbs_regexp_replace(text, '[^0-9]', '') -%}
    case
        when length({{ digits }}) < 7 then null
        when {{ text }} like '+%' then '+' || {{ digits }}
        when {{ digits }} like '00%' then '+' || substr({{ digits }}, 3)
        else {{ digits }}
    end
{%- endmacro %}


{% macro cbs_normalise_handle(column) -%}
    {#- Social handle in lower case without a leading @. -#}
    {{ cbs_regexp_replace('lower(' ~ cbs_clean_text(column) ~ ')', '^@+', '') }}
{%- endmacro %}


{% macro cbs_to_number(column, data_type='double') -%}
    {#- The cleaned text as a number, NULL when it is not one. A whole-number
        type takes only whole numbers ("2.5" and "0x10" are not); NaN and
        infinity are never numbers. -#}
    {%- set text = cbs_clean_text(column) -%}
    {%- if data_type | lower in ('integer', 'int', 'bigint', 'smallint') -%}
        case
            when {{ cbs_regexp_like(text, '^[+-]?[0-9]+(\\.0+)?$') }}
                then {{ cbs_try_cast(text, data_type) }}
        end
    {%- else -%}
        case
            when {{ cbs_try_cast(text, 'double') }} between -1e300 and 1e300
                then {{ cbs_try_cast(text, data_type) }}
        end
    {%- endif -%}
{%- endmacro %}


{% macro cbs_is_unparseable(column, parsed) -%}
    {#- True when the raw value holds something but did not parse. -#}
    ({{ cbs_clean_text(column) }} is not null and {{ parsed }} is null)
{%- endmacro %}
