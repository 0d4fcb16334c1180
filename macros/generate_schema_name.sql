{#- Layers land in schemas named exactly as configured (staging,
    intermediate, marts) instead of dbt's <target>_<custom> default, so BI
    tools read a stable schema name on every target. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
