{#- Helpers of the score history: reading its numeric settings, finding the
    history table of earlier runs, the least-squares slope of the trends,
    and whether the target can keep a dbt snapshot. Arguments are
    documented in macros/_history__macros.yml. -#}

{% macro cbs_number_var(name, minimum=0, allow_empty=false, integer=false) -%}
    {#- The value of numeric var `name`, checked: a number >= minimum (a
        whole one when integer is true: days, dates, ranks, counts), or
        none when the var is empty and allow_empty is true. Anything else
        stops the run at compile time with a message naming the var. -#}
    {%- set value = var(name) -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {%- if allow_empty -%}
            {{ return(none) }}
        {%- endif -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ ": a number >= " ~ minimum ~ " is required, got nothing") }}
    {%- endif -%}
    {%- set text = value | string | trim -%}
    {%- set pattern = '^[0-9]+$' if integer else '^[0-9]+([.][0-9]+)?$' -%}
    {%- set kind = "a whole number" if integer else "a number" -%}
    {%- if value is boolean or not modules.re.match(pattern, text) -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ ": must be " ~ kind ~ " >= " ~ minimum
            ~ (" or empty to switch it off" if allow_empty else "")
            ~ ", got '" ~ value ~ "'") }}
    {%- endif -%}
    {%- set number = text | float if '.' in text else text | int -%}
    {%- if number < minimum -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ ": must be " ~ kind ~ " >= " ~ minimum
            ~ (" or empty to switch it off" if allow_empty else "")
            ~ ", got " ~ value) }}
    {%- endif -%}
    {{ return(number) }}
{%- endmacro %}


{% macro cbs_existing_model_relation(model_name) -%}
    {#- The relation a model of this project was built into by an earlier
        run, or none when it does not exist yet, when the model is not in
        the project (or disabled), or at parse time. For the rare model that
        must read its own downstream history without a ref() (which would
        be a cycle). -#}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ model_name) -%}
    {%- if node is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=node.database,
        schema=node.schema,
        identifier=node.alias or node.name,
    )) }}
{%- endmacro %}


{% macro cbs_least_squares_slope(x, y) -%}
    {#- Aggregate: slope of the ordinary least-squares line of y on x, NULL
        when x takes fewer than two distinct values. Written with sums only,
        so it runs on any engine. -#}
    (
        (count({{ y }}) * sum({{ x }} * {{ y }}) - sum({{ x }}) * sum({{ y }}))
        / nullif(
            count({{ y }}) * sum({{ x }} * {{ x }}) - sum({{ x }}) * sum({{ x }}),
            0
        )
    )
{%- endmacro %}


{% macro cbs_can_snapshot() -%}
    {#- True when the target can keep a dbt snapshot, so the snapshot and
        its tests are disabled (not failed) where it cannot: a snapshot
        merges into its table, which Spark does only for Delta, Iceberg and
        Hudi tables (var cbs_spark_file_format). -#}
    {{ return(
        target.type != 'spark'
        or var('cbs_spark_file_format') in ['delta', 'iceberg', 'hudi']
    ) }}
{%- endmacro %}


{% macro cbs_history_write_strategy() -%}
    {#- How customer_score_history replaces the dates a run writes:
        'delete+insert' (a pre-hook deletes every row of those dates, then
        the run's rows are inserted), or on Spark 'insert_overwrite' of the
        table partitioned by as_of_date, which replaces exactly the
        partitions (dates) the run writes: Spark deletes rows only from
        Delta, Iceberg or Hudi tables and dbt-spark has no delete+insert. -#}
    {{ return(adapter.dispatch('cbs_history_write_strategy', 'cbs')()) }}
{%- endmacro %}

{% macro default__cbs_history_write_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__cbs_history_write_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}


{% macro cbs_history_rewrite_start(dates_before=0) -%}
    {#- SQL expression: the earliest history date an incremental mart over
        customer_score_history must read on this run. A run rewrites the
        history from its earliest scoring date on (int_scoring_dates), so
        the marts recompute their rows of that date and every later one;
        dates_before is how many earlier history dates those rows look back
        at (the previous date, a baseline). With fewer earlier dates than
        that, the first history date. Reads int_history_tier_sizes, a row
        per profile, date and tier, never the scores themselves. Use it
        inside is_incremental() only, with both models named in a
        depends_on comment. -#}
    {%- set first_rewritten = "(select min(as_of_date) from " ~ ref('int_scoring_dates') ~ ")" -%}
    {%- if dates_before | int == 0 -%}
        {{ first_rewritten }}
    {%- else -%}
        coalesce(
            (
                select min(as_of_date) from (
                    select distinct as_of_date
                    from {{ ref('int_history_tier_sizes') }}
                    where as_of_date < {{ first_rewritten }}
                    order by as_of_date desc
                    limit {{ dates_before | int }}
                ) as earlier_dates
            ),
            {{ first_rewritten }}
        )
    {%- endif -%}
{%- endmacro %}
