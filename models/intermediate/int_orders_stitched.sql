-- One row per kept order with its CRM customer (matched by shop account,
-- then by checkout e-mail) and its amount in the base currency: the order
-- total where given, else the sum of its kept lines.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

{{ cbs_assert_base_currency(ref('currency_rates')) }}

with orders as (

    select * from {{ ref('stg_shop__orders') }}

),

line_totals as (

    select
        order_id,
        sum(line_amount) as lines_total,
        count(*) as line_count
    from {{ ref('stg_shop__order_lines') }}
    group by order_id

),

rates as (

    select
        currency_code,
        eur_per_unit
    from {{ ref('currency_rates') }}

),

base_rate as (

    select eur_per_unit as base_eur_per_unit
    from rates
    where currency_code = '{{ var("cbs_base_currency") }}'

),

priced as (

    select
        orders.order_id,
        orders.shop_account_id,
        orders.customer_email,
        orders.status,
        orders.ordered_at,
        orders.currency_code,
        coalesce(line_totals.line_count, 0) as line_count,
        cast(coalesce(orders.order_total, line_totals.lines_total, 0) as double) as order_amount,
        cast(coalesce(orders.order_total, line_totals.lines_total, 0) as double)
        * rates.eur_per_unit / base_rate.base_eur_per_unit as order_amount_base
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id
    inner join rates
        on orders.currency_code = rates.currency_code
    cross join base_rate

),

stitched as (

    {{ cbs_stitch_to_customers(
        'priced',
        ['order_id', 'shop_account_id', 'customer_email', 'status', 'ordered_at',
         'currency_code', 'line_count', 'order_amount', 'order_amount_base'],
        [['shop_account', 'shop_account_id'], ['email', 'customer_email']]
    ) }}

)

select * from stitched
