-- Every raw catalogue row, cleaned and classified (see cbs_classify_rows).

with source as (

    {{ cbs_raw_source('shop', 'products') }}

),

cleaned as (

    select
        upper({{ cbs_clean_id('product_id') }}) as product_id,
        {{ cbs_clean_text('product_name') }} as product_name,
        lower({{ cbs_clean_text('category') }}) as category,
        {{ cbs_to_number('list_price', 'double') }} as list_price,
        upper({{ cbs_clean_text('currency') }}) as currency_code,
        {{ cbs_raw_record('shop', 'products') }} as raw_record
    from source

),

checked as (

    select
        product_id,
        product_name,
        coalesce(category, 'uncategorised') as category,
        -- A price that is missing, negative or not a number is dropped,
        -- not the product.
        case
            when list_price >= 0 and list_price <= {{ var('cbs_max_amount') }} then list_price
        end as list_price,
        currency_code,
        raw_record,
        case
            when product_id is null then 'missing product_id'
        end as quarantine_reason
    from cleaned

),

classified as (

    {{ cbs_classify_rows('checked', ['product_id']) }}

)

select * from classified
