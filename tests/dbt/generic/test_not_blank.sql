{#- not_blank(model, column_name, allow_null=false)

    Asserts that a text column holds a real value in every row: not NULL,
    not empty, not only white space (spaces, tabs, line breaks, no-break
    spaces) and not the literal word 'null' or 'none' in any case and with
    any surrounding white space. Staging turns all of these into NULL, so
    this test proves the normalisation held for required columns.

    column_name: the column under test (set by dbt from the YAML position);
                 any type, compared as text.
    allow_null:  true for an optional column: NULL passes, but a blank or
                 'null'/'none' text still fails (it should have become NULL).
                 Default false. Must be a boolean.

    Fails with every offending row of the model (all its columns), so the
    row's key shows where the blank value sits.
-#}

{% test not_blank(model, column_name, allow_null=false) %}

    {%- if allow_null is not boolean -%}
        {{ exceptions.raise_compiler_error(
            "not_blank: argument 'allow_null' must be true or false, got "
            ~ allow_null) }}
    {%- endif -%}
    {#- Strip white space at both ends, Unicode spaces included. -#}
    {%- set stripped = cbs_regexp_replace(
        'cast(' ~ column_name ~ ' as ' ~ dbt.type_string() ~ ')',
        '^[\\s\\p{Z}]+|[\\s\\p{Z}]+$',
        ''
    ) %}

with blank_rows as (

    select *
    from {{ model }}
    where
        {%- if allow_null %}
        {{ column_name }} is not null
        and lower({{ stripped }}) in ('', 'null', 'none')
        {%- else %}
        {{ column_name }} is null
        or lower({{ stripped }}) in ('', 'null', 'none')
        {%- endif %}

)

select * from blank_rows

{% endtest %}
