-- One row per raw row set aside by staging: which table it came from, why,
-- and every value exactly as it arrived (raw_record, JSON text). Nothing
-- that fails a check is lost; fix the source and it flows through.

with quarantined as (

    {%- for source_name, table_name, base_model, stg_model in cbs_staged_tables() %}
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as table_name,
        quarantine_reason,
        raw_record
    from {{ ref(base_model) }}
    where row_status = 'quarantined'
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from quarantined
