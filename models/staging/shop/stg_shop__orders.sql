-- One row per shop order, amounts still in the order's own currency.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_shop__orders') }}

),

kept as (

    select
        order_id,
        shop_account_id,
        customer_email,
        status,
        ordered_at,
        currency_code,
        order_total
    from classified
    where row_status = 'kept'

)

select * from kept
