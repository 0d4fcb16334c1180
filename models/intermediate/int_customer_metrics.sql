-- One row per CRM customer known on the as-of date: the behaviour metrics
-- the score is built from, over the trailing window (see the YAML for each
-- metric's definition and unit). With var cbs_half_life_days set, every
-- event counts 0.5 ^ (age in days / half-life) instead of 1.

with scoring_date as (

    select * from {{ ref('int_scoring_date') }}

),

customers as (

    select customers.customer_id
    from {{ ref('stg_crm__customers') }} as customers
    cross join scoring_date
    where customers.created_at is null
        or customers.created_at < scoring_date.as_of_end_at

),

{%- set window_filter = "event_at >= cast(scoring_date.window_start_date as timestamp)"
    ~ " and event_at < scoring_date.as_of_end_at" %}
{%- set decay = "case when scoring_date.half_life_days is null then 1.0 else power(0.5, "
    ~ dbt.datediff('cast(event_at as date)', 'scoring_date.as_of_date', 'day')
    ~ " / scoring_date.half_life_days) end" %}

orders as (

    select
        customer_id,
        ordered_at as event_at,
        order_amount_base
    from {{ ref('int_orders_stitched') }}
    where customer_id is not null
        and status = 'completed'

),

order_metrics as (

    select
        orders.customer_id,
        sum(case when {{ window_filter }} then {{ decay }} else 0 end) as purchase_frequency,
        sum(case when {{ window_filter }} then {{ decay }} * orders.order_amount_base else 0 end)
            as total_spend,
        max(orders.event_at) as last_order_at
    from orders
    cross join scoring_date
    where orders.event_at < scoring_date.as_of_end_at
    group by orders.customer_id

),

interaction_metrics as (

    select
        interactions.customer_id,
        sum({{ decay }}) as interaction_count,
        {%- for channel in ['call', 'email', 'chat', 'visit'] %}
        sum(case when interactions.channel = '{{ channel }}' then {{ decay }} else 0 end)
            as {{ channel }}_interactions{{ "," if not loop.last }}
        {%- endfor %}
    from (
        select customer_id, channel, occurred_at as event_at
        from {{ ref('int_interactions_stitched') }}
        where customer_id is not null
    ) as interactions
    cross join scoring_date
    where {{ window_filter }}
    group by interactions.customer_id

),

view_metrics as (

    select
        views.customer_id,
        sum({{ decay }}) as product_views
    from (
        select customer_id, viewed_at as event_at
        from {{ ref('int_product_views_stitched') }}
        where customer_id is not null
    ) as views
    cross join scoring_date
    where {{ window_filter }}
    group by views.customer_id

),

feedback_metrics as (

    select
        feedback.customer_id,
        sum({{ decay }}) as review_count,
        sum(case when feedback.rating is not null then {{ decay }} * feedback.rating end)
        / sum(case when feedback.rating is not null then {{ decay }} end) as average_rating
    from (
        select customer_id, rating, submitted_at as event_at
        from {{ ref('int_feedback_stitched') }}
        where customer_id is not null
    ) as feedback
    cross join scoring_date
    where {{ window_filter }}
    group by feedback.customer_id

),

social_metrics as (

    select
        engagements.customer_id,
        sum({{ decay }}) as social_engagement
    from (
        select customer_id, occurred_at as event_at
        from {{ ref('int_engagements_stitched') }}
        where customer_id is not null
    ) as engagements
    cross join scoring_date
    where {{ window_filter }}
    group by engagements.customer_id

),

final as (

    select
        customers.customer_id,
        scoring_date.as_of_date,
        cast(coalesce(order_metrics.purchase_frequency, 0) as double) as purchase_frequency,
        cast(coalesce(order_metrics.total_spend, 0) as double) as total_spend,
        cast(
            order_metrics.total_spend / nullif(order_metrics.purchase_frequency, 0) as double
        ) as average_order_value,
        cast(
            {{ dbt.datediff('cast(order_metrics.last_order_at as date)', 'scoring_date.as_of_date', 'day') }}
            as double
        ) as recency_days,
        cast(coalesce(interaction_metrics.interaction_count, 0) as double) as interaction_count,
        {%- for channel in ['call', 'email', 'chat', 'visit'] %}
        cast(coalesce(interaction_metrics.{{ channel }}_interactions, 0) as double)
            as {{ channel }}_interactions,
        {%- endfor %}
        cast(coalesce(view_metrics.product_views, 0) as double) as product_views,
        cast(feedback_metrics.average_rating as double) as average_rating,
        cast(coalesce(feedback_metrics.review_count, 0) as double) as review_count,
        cast(coalesce(social_metrics.social_engagement, 0) as double) as social_engagement,
        '{{ var("cbs_base_currency") }}' as base_currency
    from customers
    cross join scoring_date
    left join order_metrics
        on customers.customer_id = order_metrics.customer_id
    left join interaction_metrics
        on customers.customer_id = interaction_metrics.customer_id
    left join view_metrics
        on customers.customer_id = view_metrics.customer_id
    left join feedback_metrics
        on customers.customer_id = feedback_metrics.customer_id
    left join social_metrics
        on customers.customer_id = social_metrics.customer_id

)

select * from final
