-- One row per tier, calendar month and product category: product views and
-- completed purchases of the category by the customers of the tier, for
-- product teams. Every month up to the end of the newest as-of day of the
-- run counts. The tier is each customer's default-profile tier on that
-- as-of date, applied to all their months (where they stand now, not then);
-- activity of no scored customer (anonymous or unmatched) sits under tier
-- 'unattributed' so the totals match the shop's. Products missing from the
-- catalogue count under category 'unknown'.

with newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

scoring_date as (

    select max(as_of_date) as as_of_date
    from newest_scores

),

customer_tiers as (

    select
        customer_id,
        tier,
        tier_rank
    from newest_scores

),

products as (

    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}

),

view_events as (

    select
        stitched_views.customer_id,
        stitched_views.product_id,
        cast(
            {{ dbt.date_trunc('month', 'stitched_views.viewed_at') }} as date
        ) as month_start_date
    from {{ ref('int_product_views_stitched') }} as stitched_views
    cross join scoring_date
    where
        stitched_views.viewed_at
        < cast({{ dbt.dateadd('day', 1, 'scoring_date.as_of_date') }} as timestamp)

),

purchased_lines as (

    select
        purchased.customer_id,
        purchased.order_id,
        purchased.category,
        purchased.quantity,
        cast({{ dbt.date_trunc('month', 'purchased.ordered_at') }} as date) as month_start_date
    from {{ ref('int_completed_order_lines') }} as purchased
    cross join scoring_date
    where
        purchased.ordered_at
        < cast({{ dbt.dateadd('day', 1, 'scoring_date.as_of_date') }} as timestamp)

),

view_counts as (

    select
        coalesce(customer_tiers.tier, 'unattributed') as tier,
        view_events.month_start_date,
        coalesce(products.category, 'unknown') as category,
        count(*) as product_views,
        count(distinct customer_tiers.customer_id) as viewing_customers
    from view_events
    left join customer_tiers
        on view_events.customer_id = customer_tiers.customer_id
    left join products
        on view_events.product_id = products.product_id
    group by
        coalesce(customer_tiers.tier, 'unattributed'),
        view_events.month_start_date,
        coalesce(products.category, 'unknown')

),

purchase_counts as (

    select
        coalesce(customer_tiers.tier, 'unattributed') as tier,
        purchased_lines.month_start_date,
        purchased_lines.category,
        count(distinct purchased_lines.order_id) as purchase_orders,
        sum(purchased_lines.quantity) as purchased_units,
        count(distinct customer_tiers.customer_id) as buying_customers
    from purchased_lines
    left join customer_tiers
        on purchased_lines.customer_id = customer_tiers.customer_id
    group by
        coalesce(customer_tiers.tier, 'unattributed'),
        purchased_lines.month_start_date,
        purchased_lines.category

),

combined as (

    select
        coalesce(view_counts.tier, purchase_counts.tier) as tier,
        coalesce(view_counts.month_start_date, purchase_counts.month_start_date)
            as month_start_date,
        coalesce(view_counts.category, purchase_counts.category) as category,
        coalesce(view_counts.product_views, 0) as product_views,
        coalesce(view_counts.viewing_customers, 0) as viewing_customers,
        coalesce(purchase_counts.purchase_orders, 0) as purchase_orders,
        coalesce(purchase_counts.purchased_units, 0) as purchased_units,
        coalesce(purchase_counts.buying_customers, 0) as buying_customers
    from view_counts
    full outer join purchase_counts
        on view_counts.tier = purchase_counts.tier
        and view_counts.month_start_date = purchase_counts.month_start_date
        and view_counts.category = purchase_counts.category

),

tier_ranks as (

    select distinct
        tier,
        tier_rank
    from customer_tiers

),

final as (

    select
        combined.tier,
        tier_ranks.tier_rank,
        combined.month_start_date,
        combined.category,
        cast(combined.product_views as integer) as product_views,
        cast(combined.viewing_customers as integer) as viewing_customers,
        cast(combined.purchase_orders as integer) as purchase_orders,
        cast(combined.purchased_units as integer) as purchased_units,
        cast(combined.buying_customers as integer) as buying_customers
    from combined
    left join tier_ranks
        on combined.tier = tier_ranks.tier

)

select * from final
