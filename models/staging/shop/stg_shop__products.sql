-- One row per product in the catalogue.

with classified as (

    select * from {{ ref('base_shop__products') }}

),

kept as (

    select
        product_id,
        product_name,
        category,
        list_price,
        currency_code
    from classified
    where row_status = 'kept'

)

select * from kept
