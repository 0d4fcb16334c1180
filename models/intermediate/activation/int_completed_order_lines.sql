-- One row per kept line of a kept, completed order: who bought (the order's
-- CRM customer; NULL when unmatched), when, and which product and category.
-- The purchases side of customer_interests and
-- category_demand_by_tier_month. Built once as a table: over a hundred
-- million events, joining the stitched orders to their lines inside each
-- of those marts, beside their views, ran out of an 8 GB memory limit.
-- Products missing from the catalogue count under category 'unknown'.

with orders as (

    select
        order_id,
        customer_id,
        ordered_at
    from {{ ref('int_orders_stitched') }}
    where status = 'completed'

),

order_lines as (

    select
        order_id,
        line_number,
        product_id,
        quantity
    from {{ ref('stg_shop__order_lines') }}

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}

),

final as (

    select
        orders.order_id,
        order_lines.line_number,
        orders.customer_id,
        orders.ordered_at,
        order_lines.product_id,
        coalesce(products.category, 'unknown') as category,
        order_lines.quantity
    from orders
    inner join order_lines
        on orders.order_id = order_lines.order_id
    left join products
        on order_lines.product_id = products.product_id

)

select * from final
