-- One row per raw table: how many rows arrived and where each one went.
-- raw_rows is counted on the source itself, independently of staging, and
-- a test holds raw_rows = kept_rows + duplicate rows + quarantined_rows.

with counts as (

    {%- for source_name, table_name, base_model, stg_model in cbs_staged_tables() %}
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as table_name,
        (select count(*) from {{ cbs_source(source_name, table_name) }}) as raw_rows,
        (select count(*) from {{ ref(stg_model) }}) as staged_rows,
        sum(case when row_status = 'kept' then 1 else 0 end) as kept_rows,
        sum(case when row_status = 'exact_duplicate' then 1 else 0 end) as exact_duplicate_rows,
        sum(case when row_status = 'key_duplicate' then 1 else 0 end) as key_duplicate_rows,
        sum(case when row_status = 'quarantined' then 1 else 0 end) as quarantined_rows
    from {{ ref(base_model) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

final as (

    select
        source_name,
        table_name,
        cast(raw_rows as bigint) as raw_rows,
        cast(staged_rows as bigint) as staged_rows,
        cast(coalesce(kept_rows, 0) as bigint) as kept_rows,
        cast(coalesce(exact_duplicate_rows, 0) as bigint) as exact_duplicate_rows,
        cast(coalesce(key_duplicate_rows, 0) as bigint) as key_duplicate_rows,
        cast(coalesce(quarantined_rows, 0) as bigint) as quarantined_rows
    from counts

)

select * from final
