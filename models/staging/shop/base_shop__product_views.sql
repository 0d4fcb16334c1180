-- Every raw product view row, cleaned and classified (see cbs_classify_rows).
-- Incremental: a run stages the raw rows that arrived since the last one and
-- classifies them again with the staged rows of the same view_id (see
-- macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='view_id',
) }}

{%- set columns = [
    'view_id',
    'shop_account_id',
    'session_id',
    'product_id',
    'viewed_at',
    'raw_record',
    'raw_arrival',
    'quarantine_reason',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('shop', 'product_views') }}

),

cleaned as (

    select
        {{ cbs_clean_id('view_id') }} as view_id,
        {{ cbs_clean_id('shop_account_id') }} as shop_account_id,
        {{ cbs_clean_id('session_id') }} as session_id,
        upper({{ cbs_clean_id('product_id') }}) as product_id,
        {{ cbs_to_utc_timestamp(cbs_clean_text('viewed_at')) }} as viewed_at,
        {{ cbs_clean_text('viewed_at') }} as viewed_at_text,
        {{ cbs_raw_record('shop', 'product_views') }} as raw_record,
        raw_arrival
    from source

),

checked as (

    select
        view_id,
        shop_account_id,
        session_id,
        product_id,
        viewed_at,
        raw_record,
        raw_arrival,
        case
            when view_id is null then 'missing view_id'
            when product_id is null then 'missing product_id'
            {{ cbs_timestamp_reasons('viewed_at', 'viewed_at_text') }}
            when shop_account_id is null and session_id is null
                then 'no visitor key (no shop account, no session)'
        end as quarantine_reason
    from cleaned

),

candidates as (

    {{ cbs_rows_to_classify('checked', 'view_id', columns) }}

),

classified as (

    {{ cbs_classify_rows('candidates', ['view_id'], latest_first='viewed_at desc') }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
