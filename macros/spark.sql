{#- Spark's versions of dbt built-ins where the project's YAML would
    otherwise stop a Spark build. The YAML types its columns as DuckDB and
    most warehouses spell them (varchar); Spark spells text `string` and
    rejects a varchar without a length. Arguments are documented in
    macros/_spark__macros.yml. -#}

{% macro cbs_spark_type(data_type) -%}
    {#- A column type as Spark spells it: varchar and text (no length)
        become string; any other type is returned as given. -#}
    {%- set spelled = data_type | string | trim -%}
    {%- if spelled | lower in ['varchar', 'text', 'character varying'] -%}
        {{ return('string') }}
    {%- endif -%}
    {{ return(spelled) }}
{%- endmacro %}


{% macro spark__cast(field, type) -%}
    {#- dbt's cast, which builds the empty-schema query of an enforced
        contract from each column's data_type, with the type in Spark's
        spelling. -#}
    cast({{ field }} as {{ cbs_spark_type(type) }})
{%- endmacro %}
