{#- The row-accounting step every staging model shares: each raw row ends
    in exactly one of kept, exact_duplicate, key_duplicate or quarantined,
    so raw rows = kept + duplicates + quarantined holds by construction and
    is tested per source. -#}

{% macro cbs_classify_rows(relation, key_columns, latest_first='', content_column='raw_record') -%}
    {#- Select every column of `relation` (a CTE holding cleaned columns,
        `raw_record` and `quarantine_reason`) plus `row_status`.

        key_columns:    the columns that identify one entity (list of names).
        latest_first:   optional ORDER BY expression that picks which of
                        several conflicting rows for one key is kept, e.g.
                        'updated_at desc', and which copy of repeated
                        content. Remaining ties are broken by the raw text,
                        so the choice never depends on load order.
        content_column: what makes two rows the same row; the raw text by
                        default. Order lines pass their content without the
                        line position.

        Exact duplicates share the content; key duplicates share the key
        with different content. Quarantined rows take part in neither
        comparison. -#}
    {%- if key_columns is string or key_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "cbs_classify_rows: key_columns must be a non-empty list of column names, got "
            ~ key_columns) }}
    {%- endif -%}
    {%- set order_by = (latest_first ~ ', ' if latest_first else '') ~ 'raw_record' -%}
    select
        *,
        case
            when quarantine_reason is not null then 'quarantined'
            when copy_number > 1 then 'exact_duplicate'
            -- Only first copies compete for a key, so a key whose rows
            -- differ always keeps one of them.
            when dense_rank() over (
                partition by quarantine_reason, copy_number > 1, {{ key_columns | join(', ') }}
                order by {{ order_by }}
            ) > 1 then 'key_duplicate'
            else 'kept'
        end as row_status
    from (
        select
            *,
            row_number() over (
                partition by quarantine_reason, {{ content_column }}
                order by {{ order_by }}
            ) as copy_number
        from {{ relation }}
    ) as numbered
{%- endmacro %}


{% macro cbs_contract_columns(source_name, table_name) -%}
    {#- The contract columns of a raw table, as declared in its source YAML,
        in order. Empty at parse time, when the graph is not loaded yet. -#}
    {%- set columns = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.source_name == source_name and node.name == table_name -%}
                {%- do columns.extend(node.columns.keys()) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if columns | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "cbs_contract_columns: source " ~ source_name ~ "." ~ table_name
                ~ " declares no columns in its YAML") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro cbs_raw_source(source_name, table_name, with_arrival=false) -%}
    {#- Select a raw table's contract columns, each as text, after checking
        that the table has them all: a file exported with a column missing
        stops the run with a message naming the table and the columns,
        instead of an error deep inside a model. Extra columns are ignored;
        a column that arrives as a number or date is read as its text.
        with_arrival adds raw_arrival, the row's arrival (cbs_raw_arrival in
        macros/incremental.sql). -#}
    {%- set relation = cbs_source(source_name, table_name) -%}
    {%- set expected = cbs_contract_columns(source_name, table_name) -%}
    {%- if execute -%}
        {%- set found = run_query("select * from " ~ relation ~ " limit 0").column_names
            | map('lower') | list -%}
        {%- set missing = expected | reject('in', found) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "raw table " ~ source_name ~ "." ~ table_name ~ " (" ~ relation ~ ") lacks contract"
                ~ " columns: " ~ missing | join(", ") ~ ". It has: " ~ found | join(", ")
                ~ ". The contract is in models/staging/" ~ source_name ~ "/_" ~ source_name
                ~ "__sources.yml.") }}
        {%- endif -%}
    {%- endif -%}
    select
        {%- for column in expected %}
        cast({{ column }} as {{ dbt.type_string() }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}
        {%- if not expected %} *{% endif %}
        {%- if with_arrival %},
        {{ cbs_raw_arrival() }} as raw_arrival
        {%- endif %}
    from {{ relation }}
{%- endmacro %}


{% macro cbs_raw_record(source_name, table_name) -%}
    {#- Every contract column of a raw table as one JSON text: the quarantine
        keeps rows exactly as they arrived. -#}
    {%- set columns = cbs_contract_columns(source_name, table_name) -%}
    {{ cbs_row_as_text(columns if columns else ['1']) }}
{%- endmacro %}


{% macro cbs_timestamp_reasons(column, text_column) -%}
    {#- WHEN branches of a quarantine CASE for an event timestamp: missing,
        unparseable, before var cbs_min_valid_date, or in the future.
        column: the parsed UTC timestamp; text_column: its cleaned text.
        Reasons name the column without any table qualifier. -#}
    {%- set name = column.split('.')[-1] -%}
    when {{ text_column }} is null then 'missing {{ name }}'
            when {{ column }} is null then 'unparseable {{ name }}'
            when {{ column }} < {{ cbs_min_valid_timestamp() }}
                then '{{ name }} before {{ var("cbs_min_valid_date") }}'
            when {{ column }} > {{ dbt.current_timestamp() }} then '{{ name }} in the future'
{%- endmacro %}


{% macro cbs_min_valid_timestamp() -%}
    {#- Earliest plausible event time (var cbs_min_valid_date). -#}
    cast('{{ var("cbs_min_valid_date") }} 00:00:00' as timestamp)
{%- endmacro %}


{% macro cbs_staged_tables() -%}
    {#- Every raw table with the staging models that account for its rows:
        [source, table, base model, stg model]. -#}
    {{ return([
        ['crm', 'customers', 'base_crm__customers', 'stg_crm__customers'],
        ['crm', 'interactions', 'base_crm__interactions', 'stg_crm__interactions'],
        ['crm', 'sales_reps', 'base_crm__sales_reps', 'stg_crm__sales_reps'],
        ['shop', 'orders', 'base_shop__orders', 'stg_shop__orders'],
        ['shop', 'order_lines', 'base_shop__order_lines', 'stg_shop__order_lines'],
        ['shop', 'products', 'base_shop__products', 'stg_shop__products'],
        ['shop', 'product_views', 'base_shop__product_views', 'stg_shop__product_views'],
        ['social', 'engagements', 'base_social__engagements', 'stg_social__engagements'],
        ['feedback', 'responses', 'base_feedback__responses', 'stg_feedback__responses'],
    ]) }}
{%- endmacro %}
