{#- unique_combination(model, columns)

    Asserts that no two rows of the model share the same values in all of
    `columns` together: the composite primary key test (dbt's own `unique`
    takes one column only).

    columns: non-empty list of column names, e.g. [order_id, line_number].

    Fails with one row per duplicated key: the key values and
    `rows_with_key`, how many rows hold them. NULLs compare equal here (as in
    GROUP BY), so two rows with a NULL in the same key column and equal
    other values count as duplicates; test the key columns with not_null as
    well. A bad `columns` argument fails at compile time naming it.

    Example:
        data_tests:
          - unique_combination:
              arguments:
                columns: [order_id, line_number]
-#}

{% test unique_combination(model, columns) %}

    {%- if columns is string or columns is mapping or columns is not iterable
        or columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "unique_combination: argument 'columns' must be a non-empty list "
            ~ "of column names, got " ~ columns) }}
    {%- endif -%}
    {%- for column in columns -%}
        {%- if column is not string or column | trim == '' -%}
            {{ exceptions.raise_compiler_error(
                "unique_combination: every entry of argument 'columns' must be "
                ~ "a column name, got " ~ column) }}
        {%- endif -%}
    {%- endfor %}

with duplicated_keys as (

    select
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        count(*) as rows_with_key
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1

)

select * from duplicated_keys

{% endtest %}
