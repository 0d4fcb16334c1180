-- One row per order line of a kept order.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_shop__order_lines') }}

),

kept as (

    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        cast(quantity as double) * cast(unit_price as double) as line_amount
    from classified
    where row_status = 'kept'

)

select * from kept
