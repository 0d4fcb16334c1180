{#- in_range(model, column_name, min_value=none, max_value=none)

    Asserts that every non-NULL value of a numeric column lies within
    [min_value, max_value], both ends included. NULL passes (pair with
    not_null where the column is required); NaN and infinity always fail,
    whichever way the engine orders NaN.

    column_name: the column under test (set by dbt from the YAML position).
    min_value:   lowest allowed value, a number; omit for no lower bound.
    max_value:   highest allowed value, a number; omit for no upper bound.
                 At least one bound is required, and min_value <= max_value.

    Fails with every offending row of the model (all its columns). Bad
    arguments fail at compile time with a message naming them.

    Example (non-negative):
        data_tests:
          - in_range:
              arguments:
                min_value: 0
-#}

{% test in_range(model, column_name, min_value=none, max_value=none) %}

    {%- for name, value in [('min_value', min_value), ('max_value', max_value)] -%}
        {%- if value is not none and (value is boolean or value is not number) -%}
            {{ exceptions.raise_compiler_error(
                "in_range: argument '" ~ name ~ "' must be a number, got "
                ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            "in_range: give at least one of the arguments 'min_value' and "
            ~ "'max_value' (test on " ~ column_name ~ ")") }}
    {%- endif -%}
    {%- if min_value is not none and max_value is not none
        and min_value > max_value -%}
        {{ exceptions.raise_compiler_error(
            "in_range: argument 'min_value' (" ~ min_value ~ ") is greater "
            ~ "than 'max_value' (" ~ max_value ~ ")") }}
    {%- endif -%}
    {#- x * 0 = 0 holds for every finite number and fails for NaN and
        infinity on every engine, including those (DuckDB) that order NaN
        above all numbers. -#}
    {%- set conditions = [column_name ~ ' * 0 = 0'] -%}
    {%- if min_value is not none -%}
        {%- do conditions.append(column_name ~ ' >= ' ~ min_value) -%}
    {%- endif -%}
    {%- if max_value is not none -%}
        {%- do conditions.append(column_name ~ ' <= ' ~ max_value) -%}
    {%- endif %}

with out_of_range_rows as (

    select *
    from {{ model }}
    where {{ column_name }} is not null
        and not ({{ conditions | join(' and ') }})

)

select * from out_of_range_rows

{% endtest %}
