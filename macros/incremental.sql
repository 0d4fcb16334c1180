{#- Incremental builds where the volume lives: the event staging models
    (base_* of interactions, orders, order lines, product views, social
    engagements and feedback) and the daily activity aggregate. Arguments
    are documented in macros/_incremental__macros.yml; the design is in
    docs/incremental.md.

    How a new raw row is recognised: by its arrival, a value that grows
    with every row a source receives. On DuckDB over Parquet files it is
    the row's position in its file (the reader's virtual column
    file_row_number): a daily export appends to the file, so rows past the
    largest position already staged are new, whatever date they carry. On
    a warehouse table it is a loader's column named by var
    cbs_raw_arrival_column (a load timestamp or sequence); var
    cbs_arrival_lookback re-reads that much arrival before the newest one
    staged (rows committed out of order), skipping rows already staged. -#}

{% macro cbs_incremental_materialization() -%}
    {#- 'incremental' where the target can replace the rows of a key
        (delete+insert), else 'table': Spark on plain Parquet offers only
        append and insert_overwrite, so there the event models are rebuilt
        in full on every run. -#}
    {{ return(adapter.dispatch('cbs_incremental_materialization', 'cbs')()) }}
{%- endmacro %}

{% macro default__cbs_incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__cbs_incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}


{% macro cbs_incremental_strategy() -%}
    {#- The strategy of the incremental event models on this target. -#}
    {{ return(adapter.dispatch('cbs_incremental_strategy', 'cbs')()) }}
{%- endmacro %}

{% macro default__cbs_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__cbs_incremental_strategy() -%}
    {#- Unused while spark__cbs_incremental_materialization gives 'table'. -#}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro cbs_raw_arrival() -%}
    {#- SQL expression of a raw row's arrival (see the header). -#}
    {%- set column = var('cbs_raw_arrival_column', '') | trim -%}
    {%- if column -%}
        {{ return(column) }}
    {%- endif -%}
    {{ return(adapter.dispatch('cbs_raw_arrival', 'cbs')()) }}
{%- endmacro %}

{% macro default__cbs_raw_arrival() -%}
    {{ exceptions.raise_compiler_error(
        "var cbs_raw_arrival_column: the incremental event models on " ~ target.type
        ~ " need the raw tables' load time or sequence column; set it, e.g."
        ~ " --vars '{cbs_raw_arrival_column: _loaded_at}'") }}
{%- endmacro %}

{% macro duckdb__cbs_raw_arrival() -%}
    {{ return('file_row_number') }}
{%- endmacro %}

{% macro spark__cbs_raw_arrival() -%}
    {#- Spark rebuilds the event models in full (see above), so the arrival
        is never a watermark there; the row's position in the read
        (increasing in file order) keeps the column filled and meaningful. -#}
    {{ return('monotonically_increasing_id()') }}
{%- endmacro %}


{% macro cbs_new_arrivals_filter(arrival) -%}
    {#- WHERE condition on a raw table that keeps the rows not staged yet:
        everything on a first or full build, else rows past the newest
        arrival in this model (less var cbs_arrival_lookback, with rows
        already staged left out). `arrival` is the raw arrival expression. -#}
    {%- if not is_incremental() -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set lookback = cbs_number_var('cbs_arrival_lookback', integer=true) -%}
    {%- set newest = "(select max(raw_arrival) from " ~ this ~ ")" -%}
    {%- if lookback == 0 -%}
        {{ return("(" ~ newest ~ " is null or " ~ arrival ~ " > " ~ newest ~ ")") }}
    {%- endif -%}
    {%- set since = newest ~ " - " ~ lookback -%}
    {%- if var('cbs_raw_arrival_column', '') | trim -%}
        {#- A load time: the lookback is in hours. -#}
        {%- set since = dbt.dateadd('hour', -lookback, newest) -%}
    {%- endif -%}
    {{ return("(" ~ newest ~ " is null or " ~ arrival ~ " > " ~ since ~ ")") }}
{%- endmacro %}


{% macro cbs_raw_rows_since_last_build(source_name, table_name) -%}
    {#- The raw rows of a table that this incremental model has not staged
        yet: every contract column as text (see cbs_raw_source) plus
        raw_arrival. With a lookback, re-read rows already staged (same
        arrival, same raw text) are left out. -#}
    {%- do cbs_assert_raw_file_appended(source_name, table_name) -%}
    {%- set lookback = cbs_number_var('cbs_arrival_lookback', integer=true) -%}
    {%- set recheck = is_incremental() and lookback != 0 -%}
    select raw_rows.*
    from (
        select
            {%- if recheck %}
            {{ cbs_raw_record(source_name, table_name) }} as lookback_record,
            {%- endif %}
            contract.*
        from ({{ cbs_raw_source(source_name, table_name, with_arrival=true) }}) as contract
    ) as raw_rows
    where {{ cbs_new_arrivals_filter('raw_rows.raw_arrival') }}
    {%- if recheck %}
        and not exists (
            select 1
            from {{ this }} as staged
            where staged.raw_arrival = raw_rows.raw_arrival
                and staged.raw_record = raw_rows.lookback_record
        )
    {%- endif %}
{%- endmacro %}


{% macro cbs_assert_raw_file_appended(source_name, table_name) -%}
    {#- Where a row's arrival is its position in the raw file (DuckDB, no
        var cbs_raw_arrival_column), an incremental run is right only if
        the file was appended to since the last run. Stop the run, naming
        the table, when the rows staged first and last (positions min and
        max) are no longer in the file as they were: the file was replaced
        by another export, rewritten in another order or cut short, and
        staging it incrementally would keep the old rows and miss the new
        ones without any error. -#}
    {%- if not (execute and is_incremental() and target.type == 'duckdb') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if var('cbs_raw_arrival_column', '') | trim -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set check -%}
        with staged as (
            select raw_arrival, raw_record
            from {{ this }}
            where raw_arrival in (
                (select min(raw_arrival) from {{ this }}),
                (select max(raw_arrival) from {{ this }})
            )
        ),

        raw_rows as (
            select
                contract.raw_arrival,
                {{ cbs_raw_record(source_name, table_name) }} as raw_record
            from ({{ cbs_raw_source(source_name, table_name, with_arrival=true) }}) as contract
            where contract.raw_arrival in (select staged.raw_arrival from staged)
        )

        select staged.raw_arrival
        from staged
        left join raw_rows
            on staged.raw_arrival = raw_rows.raw_arrival
            and staged.raw_record = raw_rows.raw_record
        where raw_rows.raw_arrival is null
        order by 1
    {%- endset -%}
    {%- set missing = run_query(check).columns[0].values() -%}
    {%- if missing | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "raw table " ~ source_name ~ "." ~ table_name ~ " (" ~ cbs_source(source_name, table_name)
            ~ ") was replaced, not appended to, since " ~ this ~ " was built: the rows staged at"
            ~ " file positions " ~ (missing | join(', ')) ~ " are no longer there as they were."
            ~ " Staging only the new positions would keep the old rows. Rebuild from the new"
            ~ " files with: dbt build --full-refresh") }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_rows_to_classify(checked, group_column, columns, more_groups=none) -%}
    {#- The rows one run classifies: the new rows in `checked`, and on an
        incremental run every row already staged that shares a group with
        one of them, so a late duplicate or a newer record of an old key
        changes the old rows' fates exactly as a full build would.

        checked:      CTE of new rows, cleaned and checked.
        group_column: the column no duplicate crosses (the entity key; for
                      order lines their order): rows of different groups
                      never compete, so the other groups keep their fates.
        columns:      the columns of `checked`, which this model stores
                      too, in order.
        more_groups:  optional SELECT of further group values whose
                      staged rows must be classified again (order lines
                      of orders that changed). -#}
    select
        {{ columns | join(',\n        ') }}
    from {{ checked }}
    {%- if is_incremental() %}

    union all

    select
        {{ columns | join(',\n        ') }}
    from {{ this }}
    where {{ group_column }} in (
        select {{ group_column }}
        from {{ checked }}
        where {{ group_column }} is not null
        {%- if more_groups %}
        union
        {{ more_groups }}
        {%- endif %}
    )
    {%- endif %}
{%- endmacro %}


{% macro cbs_classified_since(model_name) -%}
    {#- Rows of base model `model_name` (re)classified since this model's
        newest `refreshed_at`: on a full build every row. -#}
    select *
    from {{ ref(model_name) }}
    {%- if is_incremental() %}
    where classified_at > (select coalesce(max(refreshed_at), cast('1900-01-01' as timestamp)) from {{ this }})
    {%- endif %}
{%- endmacro %}


{% macro cbs_run_started_at() -%}
    {#- This dbt invocation's start time, UTC, as a timestamp literal: the
        stamp incremental models leave on the rows they write. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{% macro cbs_identity_fingerprint() -%}
    {#- A scalar subquery body: one text value that changes whenever a CRM
        identity key is added, removed or changes holder
        (int_customer_keys), so the daily aggregate knows when old events
        must be matched again. -#}
    {{ return(adapter.dispatch('cbs_identity_fingerprint', 'cbs')()) }}
{%- endmacro %}

{% macro default__cbs_identity_fingerprint() -%}
    select
        cast(count(*) as {{ dbt.type_string() }}) || '-'
        || cast(sum(hash(key_type, key_value, coalesce(customer_id, ''))) as {{ dbt.type_string() }})
    from {{ ref('int_customer_keys') }}
{%- endmacro %}

{% macro spark__cbs_identity_fingerprint() -%}
    select
        cast(count(*) as string) || '-'
        || cast(sum(cast(xxhash64(key_type, key_value, coalesce(customer_id, '')) as decimal(38, 0)))
            as string)
    from {{ ref('int_customer_keys') }}
{%- endmacro %}
