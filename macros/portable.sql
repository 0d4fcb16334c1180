{#- Engine-specific SQL behind adapter.dispatch, so models stay portable.
    The default implementation follows DuckDB and PostgreSQL; Spark gets its
    own where its syntax differs. -#}

{% macro cbs_regexp_replace(expression, pattern, replacement) -%}
    {#- Replace every match of pattern; the replacement refers to groups as \1. -#}
    {{ return(adapter.dispatch('cbs_regexp_replace', 'cbs')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__cbs_regexp_replace(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__cbs_regexp_replace(expression, pattern, replacement) -%}
    {#- Spark reads a backslash in a string literal as an escape, so '\s'
        would reach the regex as 's': every backslash is doubled. Groups
        are $1 in Spark's replacement. -#}
    regexp_replace(
        {{ expression }},
        '{{ pattern | replace("\\", "\\\\") }}',
        '{{ replacement | replace("\\1", "$1") }}'
    )
{%- endmacro %}


{% macro cbs_regexp_like(expression, pattern) -%}
    {#- True when the expression matches the pattern anywhere. -#}
    {{ return(adapter.dispatch('cbs_regexp_like', 'cbs')(expression, pattern)) }}
{%- endmacro %}

{% macro default__cbs_regexp_like(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__cbs_regexp_like(expression, pattern) -%}
    {#- Backslashes doubled for Spark's string literal, as above. -#}
    ({{ expression }} rlike '{{ pattern | replace("\\", "\\\\") }}')
{%- endmacro %}


{% macro cbs_to_utc_timestamp(expression) -%}
    {#- Text in ISO 8601, with or without an offset, as a UTC timestamp
        without time zone; text with no offset is read as UTC. NULL when it
        does not parse. -#}
    {{ return(adapter.dispatch('cbs_to_utc_timestamp', 'cbs')(expression)) }}
{%- endmacro %}

{% macro default__cbs_to_utc_timestamp(expression) -%}
    timezone('UTC', {{ cbs_try_cast(expression, 'timestamptz') }})
{%- endmacro %}

{% macro spark__cbs_to_utc_timestamp(expression) -%}
    {#- The Spark session runs in UTC (see profiles.yml). -#}
    {{ cbs_try_cast(expression, 'timestamp') }}
{%- endmacro %}


{% macro cbs_to_date(expression) -%}
    {#- ISO date text as a date, NULL when it does not parse. -#}
    {{ return(adapter.dispatch('cbs_to_date', 'cbs')(expression)) }}
{%- endmacro %}

{% macro default__cbs_to_date(expression) -%}
    {{ cbs_try_cast(expression, 'date') }}
{%- endmacro %}


{% macro cbs_row_as_text(columns) -%}
    {#- The listed raw columns as one JSON text, so a quarantined row keeps
        every value it arrived with. -#}
    {{ return(adapter.dispatch('cbs_row_as_text', 'cbs')(columns)) }}
{%- endmacro %}

{% macro default__cbs_row_as_text(columns) -%}
    cast(to_json(struct_pack(
        {%- for column in columns %}
        {{ column }} := {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    )) as varchar)
{%- endmacro %}

{% macro spark__cbs_row_as_text(columns) -%}
    {#- Null fields kept (Spark drops them by default), as DuckDB keeps them. -#}
    to_json(
        named_struct(
            {%- for column in columns %}
            '{{ column }}', {{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}


{% macro cbs_percentile(expression, fraction) -%}
    {#- Continuous percentile of an expression, as an aggregate. -#}
    {{ return(adapter.dispatch('cbs_percentile', 'cbs')(expression, fraction)) }}
{%- endmacro %}

{% macro default__cbs_percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__cbs_percentile(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}


{% macro cbs_ln(expression) -%}
    {#- Natural logarithm. -#}
    {{ return(adapter.dispatch('cbs_ln', 'cbs')(expression)) }}
{%- endmacro %}

{% macro default__cbs_ln(expression) -%}
    ln({{ expression }})
{%- endmacro %}


{% macro cbs_try_cast(expression, data_type) -%}
    {#- Cast that gives NULL instead of failing when the value does not fit
        the type, so staging can quarantine it with a reason. -#}
    {{ return(adapter.dispatch('cbs_try_cast', 'cbs')(expression, data_type)) }}
{%- endmacro %}

{% macro default__cbs_try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ api.Column.translate_type(data_type) }})
{%- endmacro %}


{% macro cbs_json_field_text(json_text, key) -%}
    {#- The value of top-level key `key` of a JSON object held as text, as
        text (unescaped); NULL when the key is missing or null. -#}
    {{ return(adapter.dispatch('cbs_json_field_text', 'cbs')(json_text, key)) }}
{%- endmacro %}

{% macro default__cbs_json_field_text(json_text, key) -%}
    json_extract_string({{ json_text }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__cbs_json_field_text(json_text, key) -%}
    get_json_object({{ json_text }}, '$.{{ key }}')
{%- endmacro %}


{% macro cbs_date_part(part, expression) -%}
    {#- A part of a date (year, month, day) as a number. -#}
    {{ return(adapter.dispatch('cbs_date_part', 'cbs')(part, expression)) }}
{%- endmacro %}

{% macro default__cbs_date_part(part, expression) -%}
    extract({{ part }} from {{ expression }})
{%- endmacro %}


{% macro cbs_least(expressions) -%}
    {#- The smallest of a list of SQL expressions (NULLs ignored). -#}
    {{ return(cbs_extreme_of('least', expressions)) }}
{%- endmacro %}


{% macro cbs_greatest(expressions) -%}
    {#- The largest of a list of SQL expressions (NULLs ignored). -#}
    {{ return(cbs_extreme_of('greatest', expressions)) }}
{%- endmacro %}


{% macro cbs_extreme_of(function, expressions) -%}
    {#- least() or greatest() of a list of SQL expressions. Spark's versions
        need two or more arguments, so one expression is returned as it is;
        an empty list stops the run. -#}
    {%- if expressions is string or expressions | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "cbs_" ~ function ~ ": expressions must be a non-empty list of SQL expressions, got "
            ~ expressions) }}
    {%- endif -%}
    {%- if expressions | length == 1 -%}
        {{ return(expressions[0]) }}
    {%- endif -%}
    {{ return(function ~ '(' ~ (expressions | join(', ')) ~ ')') }}
{%- endmacro %}


{% macro cbs_value_at_min(value, order_by) -%}
    {#- Aggregate: value on the row where order_by is smallest (one such row
        expected). min_by in DuckDB (an alias of arg_min) and in Spark. -#}
    {{ return(adapter.dispatch('cbs_value_at_min', 'cbs')(value, order_by)) }}
{%- endmacro %}

{% macro default__cbs_value_at_min(value, order_by) -%}
    min_by({{ value }}, {{ order_by }})
{%- endmacro %}


{% macro cbs_value_at_max(value, order_by) -%}
    {#- Aggregate: value on the row where order_by is largest (one such row
        expected). max_by in DuckDB (an alias of arg_max) and in Spark. -#}
    {{ return(adapter.dispatch('cbs_value_at_max', 'cbs')(value, order_by)) }}
{%- endmacro %}

{% macro default__cbs_value_at_max(value, order_by) -%}
    max_by({{ value }}, {{ order_by }})
{%- endmacro %}
