-- Every raw product view row, cleaned and classified (see cbs_classify_rows).

with source as (

    {{ cbs_raw_source('shop', 'product_views') }}

),

cleaned as (

    select
        {{ cbs_clean_id('view_id') }} as view_id,
        {{ cbs_clean_id('shop_account_id') }} as shop_account_id,
        {{ cbs_clean_id('session_id') }} as session_id,
        upper({{ cbs_clean_id('product_id') }}) as product_id,
        {{ cbs_to_utc_timestamp(cbs_clean_text('viewed_at')) }} as viewed_at,
        {{ cbs_clean_text('viewed_at') }} as viewed_at_text,
        {{ cbs_raw_record('shop', 'product_views') }} as raw_record
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
        case
            when view_id is null then 'missing view_id'
            when product_id is null then 'missing product_id'
            {{ cbs_timestamp_reasons('viewed_at', 'viewed_at_text') }}
            when shop_account_id is null and session_id is null
                then 'no visitor key (no shop account, no session)'
        end as quarantine_reason
    from cleaned

),

classified as (

    {{ cbs_classify_rows('checked', ['view_id'], latest_first='viewed_at desc') }}

)

select * from classified
