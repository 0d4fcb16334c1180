-- One row per raw row set aside by staging: which table it came from, why,
-- and every value as it arrived (raw_record, JSON text), except personal
-- data: the value of every field named like an e-mail, phone, birth date
-- or person's name is replaced by "<masked>" (missing values stay null), so
-- this mart may be read by BI tools. The unmasked record stays in the
-- staging model base_<source>__<table> (column raw_record) for the data
-- engineers who fix the source. Nothing that fails a check is lost; fix
-- the source and it flows through.

{%- set personal = '(email|phone|birth|first_name|last_name|full_name)' %}

with quarantined as (

    {%- for source_name, table_name, base_model, stg_model in cbs_staged_tables() %}
    {%- set columns = cbs_contract_columns(source_name, table_name) %}
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as table_name,
        quarantine_reason,
        {%- if columns %}
        {{ cbs_row_as_text(columns) }} as raw_record
        {%- else %}
        raw_record
        {%- endif %}
    from (
        select
            {%- for column in columns %}
            {%- if modules.re.search(personal, column) %}
            case
                when {{ cbs_json_field_text('raw_record', column) }} is not null
                    then '<masked>'
            end as {{ column }},
            {%- else %}
            {{ cbs_json_field_text('raw_record', column) }} as {{ column }},
            {%- endif %}
            {%- endfor %}
            quarantine_reason
        from {{ ref(base_model) }}
        where row_status = 'quarantined'
    ) as {{ table_name }}_rows
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from quarantined
