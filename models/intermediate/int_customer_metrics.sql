-- One row per as-of date and CRM customer known on it: the behaviour metrics
-- the score is built from, over the trailing window (see the YAML for each
-- metric's definition and unit). With var cbs_half_life_days set, every
-- event counts 0.5 ^ (age in days / half-life) instead of 1.

{{ cbs_assert_valid_settings() }}

{%- set window_filter = "event_at >= cast(scoring_date.window_start_date as timestamp)"
    ~ " and event_at < scoring_date.as_of_end_at" %}
{%- set decay = "case when scoring_date.half_life_days is null then 1.0 else power(0.5, "
    ~ dbt.datediff('cast(event_at as date)', 'scoring_date.as_of_date', 'day')
    ~ " / scoring_date.half_life_days) end" %}

{%- set channels = ['call', 'email', 'chat', 'visit'] %}

with scoring_date as (

    select * from {{ ref('int_scoring_dates') }}

),

activity_starts as (

    {%- set activity = [
        ('int_orders_stitched', 'ordered_at'),
        ('int_interactions_stitched', 'occurred_at'),
        ('int_product_views_stitched', 'viewed_at'),
        ('int_feedback_stitched', 'submitted_at'),
        ('int_engagements_stitched', 'occurred_at'),
    ] %}
    {%- for model, column in activity %}
    select
        customer_id,
        min({{ column }}) as first_activity_at
    from {{ ref(model) }}
    where customer_id is not null
    group by customer_id
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

first_activity as (

    select
        customer_id,
        min(first_activity_at) as first_activity_at
    from activity_starts
    group by customer_id

),

customers as (

    -- A customer is known on a date once their CRM record exists, or once
    -- they did something, whichever came first (records are often created
    -- after a first purchase); with no creation time, always.
    select
        customers.customer_id,
        scoring_date.as_of_date
    from {{ ref('stg_crm__customers') }} as customers
    cross join scoring_date
    left join first_activity
        on customers.customer_id = first_activity.customer_id
    where customers.created_at is null
        or customers.created_at < scoring_date.as_of_end_at
        or first_activity.first_activity_at < scoring_date.as_of_end_at

),

completed_orders as (

    select
        customer_id,
        ordered_at as event_at,
        order_amount_base
    from {{ ref('int_orders_stitched') }}
    where customer_id is not null
        and status = 'completed'

),

interaction_events as (

    select
        customer_id,
        channel,
        occurred_at as event_at
    from {{ ref('int_interactions_stitched') }}
    where customer_id is not null

),

view_events as (

    select
        customer_id,
        viewed_at as event_at
    from {{ ref('int_product_views_stitched') }}
    where customer_id is not null

),

feedback_events as (

    select
        customer_id,
        rating,
        submitted_at as event_at
    from {{ ref('int_feedback_stitched') }}
    where customer_id is not null

),

engagement_events as (

    select
        customer_id,
        occurred_at as event_at
    from {{ ref('int_engagements_stitched') }}
    where customer_id is not null

),

order_metrics as (

    select
        completed_orders.customer_id,
        scoring_date.as_of_date,
        sum(case when {{ window_filter }} then {{ decay }} else 0 end) as purchase_frequency,
        sum(
            case
                when {{ window_filter }}
                    then {{ decay }} * completed_orders.order_amount_base
                else 0
            end
        ) as total_spend,
        max(completed_orders.event_at) as last_order_at
    from completed_orders
    cross join scoring_date
    where completed_orders.event_at < scoring_date.as_of_end_at
    group by completed_orders.customer_id, scoring_date.as_of_date

),

interaction_metrics as (

    select
        {%- for channel in channels %}
        sum(
            case when interaction_events.channel = '{{ channel }}' then {{ decay }} else 0 end
        ) as {{ channel }}_interactions,
        {%- endfor %}
        interaction_events.customer_id,
        scoring_date.as_of_date,
        sum({{ decay }}) as interaction_count
    from interaction_events
    cross join scoring_date
    where {{ window_filter }}
    group by interaction_events.customer_id, scoring_date.as_of_date

),

view_metrics as (

    select
        view_events.customer_id,
        scoring_date.as_of_date,
        sum({{ decay }}) as product_views
    from view_events
    cross join scoring_date
    where {{ window_filter }}
    group by view_events.customer_id, scoring_date.as_of_date

),

feedback_metrics as (

    select
        feedback_events.customer_id,
        scoring_date.as_of_date,
        sum({{ decay }}) as review_count,
        sum(
            case
                when feedback_events.rating is not null
                    then {{ decay }} * feedback_events.rating
            end
        ) / sum(
            case when feedback_events.rating is not null then {{ decay }} end
        ) as average_rating
    from feedback_events
    cross join scoring_date
    where {{ window_filter }}
    group by feedback_events.customer_id, scoring_date.as_of_date

),

engagement_metrics as (

    select
        engagement_events.customer_id,
        scoring_date.as_of_date,
        sum({{ decay }}) as social_engagement
    from engagement_events
    cross join scoring_date
    where {{ window_filter }}
    group by engagement_events.customer_id, scoring_date.as_of_date

),

final as (

    -- Every metric is rounded to 6 decimals: sums of floating-point values
    -- come out in the last bits as the engine happens to add them up, and
    -- rounding makes the same data give the same metrics on every run.
    select
        customers.customer_id,
        customers.as_of_date,
        round(cast(coalesce(order_metrics.purchase_frequency, 0) as double), 6)
            as purchase_frequency,
        round(cast(coalesce(order_metrics.total_spend, 0) as double), 6) as total_spend,
        round(cast(
            order_metrics.total_spend / nullif(order_metrics.purchase_frequency, 0) as double
        ), 6) as average_order_value,
        cast({{ dbt.datediff(
            'cast(order_metrics.last_order_at as date)', 'scoring_date.as_of_date', 'day'
        ) }} as double) as recency_days,
        round(cast(coalesce(interaction_metrics.interaction_count, 0) as double), 6)
            as interaction_count,
        {%- for channel in ['call', 'email', 'chat', 'visit'] %}
        round(cast(coalesce(interaction_metrics.{{ channel }}_interactions, 0) as double), 6)
            as {{ channel }}_interactions,
        {%- endfor %}
        round(cast(coalesce(view_metrics.product_views, 0) as double), 6) as product_views,
        round(cast(feedback_metrics.average_rating as double), 6) as average_rating,
        round(cast(coalesce(feedback_metrics.review_count, 0) as double), 6) as review_count,
        round(cast(coalesce(engagement_metrics.social_engagement, 0) as double), 6)
            as social_engagement,
        '{{ var("cbs_base_currency") }}' as base_currency
    from customers
    inner join scoring_date
        on customers.as_of_date = scoring_date.as_of_date
    left join order_metrics
        on customers.customer_id = order_metrics.customer_id
        and customers.as_of_date = order_metrics.as_of_date
    left join interaction_metrics
        on customers.customer_id = interaction_metrics.customer_id
        and customers.as_of_date = interaction_metrics.as_of_date
    left join view_metrics
        on customers.customer_id = view_metrics.customer_id
        and customers.as_of_date = view_metrics.as_of_date
    left join feedback_metrics
        on customers.customer_id = feedback_metrics.customer_id
        and customers.as_of_date = feedback_metrics.as_of_date
    left join engagement_metrics
        on customers.customer_id = engagement_metrics.customer_id
        and customers.as_of_date = engagement_metrics.as_of_date

)

select * from final
