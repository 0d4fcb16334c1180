-- One row per customer and product category they viewed or bought in the
-- scoring window of the newest date of the run (var cbs_window_days days
-- up to the end of the as-of day): views and purchases of the category,
-- its rank among the customer's most viewed categories, and whether it is
-- latent demand (viewed, never bought in the window). Products missing
-- from the catalogue count under category 'unknown'. Counts are plain
-- counts, not decayed.

{%- set top_categories = cbs_number_var('cbs_interest_top_categories', minimum=1, integer=true) %}

with scoring_dates as (

    select * from {{ ref('int_scoring_dates') }}

),

newest_date as (

    -- The newest date of the run; the others are history dates scored again.
    select max(as_of_date) as as_of_date
    from scoring_dates

),

scoring_date as (

    select
        scoring_dates.as_of_date,
        scoring_dates.window_start_date,
        scoring_dates.as_of_end_at
    from scoring_dates
    inner join newest_date
        on scoring_dates.as_of_date = newest_date.as_of_date

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}

),

view_events as (

    select
        customer_id,
        product_id,
        viewed_at
    from {{ ref('int_product_views_stitched') }}
    where customer_id is not null

),

purchased_lines as (

    select
        order_id,
        customer_id,
        ordered_at,
        category,
        quantity
    from {{ ref('int_completed_order_lines') }}
    where customer_id is not null

),

category_views as (

    select
        view_events.customer_id,
        coalesce(products.category, 'unknown') as category,
        count(*) as product_views,
        max(view_events.viewed_at) as last_viewed_at
    from view_events
    cross join scoring_date
    left join products
        on view_events.product_id = products.product_id
    where view_events.viewed_at >= cast(scoring_date.window_start_date as timestamp)
        and view_events.viewed_at < scoring_date.as_of_end_at
    group by
        view_events.customer_id,
        coalesce(products.category, 'unknown')

),

category_purchases as (

    select
        purchased_lines.customer_id,
        purchased_lines.category,
        count(distinct purchased_lines.order_id) as purchase_orders,
        sum(purchased_lines.quantity) as purchased_units,
        max(purchased_lines.ordered_at) as last_purchased_at
    from purchased_lines
    cross join scoring_date
    where purchased_lines.ordered_at >= cast(scoring_date.window_start_date as timestamp)
        and purchased_lines.ordered_at < scoring_date.as_of_end_at
    group by
        purchased_lines.customer_id,
        purchased_lines.category

),

combined as (

    select
        coalesce(category_views.customer_id, category_purchases.customer_id) as customer_id,
        coalesce(category_views.category, category_purchases.category) as category,
        coalesce(category_views.product_views, 0) as product_views,
        coalesce(category_purchases.purchase_orders, 0) as purchase_orders,
        coalesce(category_purchases.purchased_units, 0) as purchased_units,
        category_views.last_viewed_at,
        category_purchases.last_purchased_at
    from category_views
    full outer join category_purchases
        on category_views.customer_id = category_purchases.customer_id
        and category_views.category = category_purchases.category

),

ordered as (

    -- Categories with views come first, so they hold ranks 1, 2, ...
    select
        *,
        row_number() over (
            partition by customer_id
            order by product_views desc, category asc
        ) as view_order
    from combined

),

ranked as (

    select
        *,
        case when product_views > 0 then view_order end as view_rank
    from ordered

),

final as (

    select
        ranked.customer_id,
        scoring_date.as_of_date,
        ranked.category,
        cast(ranked.product_views as integer) as product_views,
        cast(ranked.purchase_orders as integer) as purchase_orders,
        cast(ranked.purchased_units as integer) as purchased_units,
        cast(ranked.view_rank as integer) as view_rank,
        coalesce(ranked.view_rank <= {{ top_categories }}, false) as is_top_interest,
        ranked.product_views > 0 and ranked.purchase_orders = 0 as is_latent_demand,
        ranked.last_viewed_at,
        ranked.last_purchased_at
    from ranked
    cross join scoring_date

)

select * from final
