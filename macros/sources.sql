{#- Where a raw source table is read from, per engine. Arguments are
    documented in macros/_sources__macros.yml. -#}

{% macro cbs_source(source_name, table_name) -%}
    {#- The relation to select a raw table from. Always calls source(), so
        the model depends on the source in the DAG on every engine. -#}
    {{ return(adapter.dispatch('cbs_source', 'cbs')(source_name, table_name)) }}
{%- endmacro %}

{% macro default__cbs_source(source_name, table_name) -%}
    {#- DuckDB reads the file through the source's external_location;
        other warehouses read the table <schema>.<table>. -#}
    {{ return(source(source_name, table_name)) }}
{%- endmacro %}

{% macro spark__cbs_source(source_name, table_name) -%}
    {#- Spark reads the Parquet file in place, parquet.`<path>`, with the
        path built from the source's meta (data_dir, file_prefix) exactly
        as DuckDB's external_location is, unless var cbs_spark_sources says
        the raw data are metastore tables. -#}
    {%- set relation = source(source_name, table_name) -%}
    {%- set mode = var('cbs_spark_sources') -%}
    {%- if mode not in ['files', 'tables'] -%}
        {{ exceptions.raise_compiler_error(
            "var cbs_spark_sources: must be 'files' or 'tables', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- if mode == 'tables' or not execute -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set node = graph.sources.get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
    {%- set meta = node.config.meta if node.config.meta else node.meta -%}
    {%- if not meta.get('data_dir') or not meta.get('file_prefix') -%}
        {{ exceptions.raise_compiler_error(
            "cbs_source: source " ~ source_name ~ "." ~ table_name ~ " needs meta data_dir"
            ~ " and file_prefix in its YAML to be read as a file on Spark") }}
    {%- endif -%}
    {%- set path = meta['data_dir'] ~ '/' ~ meta['file_prefix'] ~ '__'
        ~ node.identifier ~ '.parquet' -%}
    {{ return('parquet.`' ~ path ~ '`') }}
{%- endmacro %}
