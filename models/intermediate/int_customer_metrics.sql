-- One row per as-of date and CRM customer known on it: the behaviour metrics
-- the score is built from, over the trailing window (see the YAML for each
-- metric's definition and unit). With var cbs_half_life_days set, every
-- event counts 0.5 ^ (age in days / half-life) instead of 1. Computed from
-- the daily sums of int_customer_daily_activity: the window and the decay
-- work in whole days, so a day's sum counts exactly as its events.

{{ cbs_assert_valid_settings() }}

{%- set in_window = "daily.activity_date >= scoring_date.window_start_date" %}
{%- set decay = "case when scoring_date.half_life_days is null then 1.0 else power(0.5, "
    ~ dbt.datediff('daily.activity_date', 'scoring_date.as_of_date', 'day')
    ~ " / scoring_date.half_life_days) end" %}

{%- set channels = ['call', 'email', 'chat', 'visit'] %}
{%- set all_channels = [] %}
{%- for channel in channels %}
{%- do all_channels.append('daily.' ~ channel ~ '_interactions') %}
{%- endfor %}

with scoring_date as (

    select * from {{ ref('int_scoring_dates') }}

),

daily as (

    select * from {{ ref('int_customer_daily_activity') }}

),

first_activity as (

    select
        customer_id,
        min(activity_date) as first_activity_date
    from daily
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
        or first_activity.first_activity_date <= scoring_date.as_of_date

),

activity_metrics as (

    -- Days up to the as-of day; counts and amounts only inside the window,
    -- each day weighted by its decay (1 without a half-life).
    select
        daily.customer_id,
        scoring_date.as_of_date,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.completed_orders else 0 end
        ) as purchase_frequency,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.completed_spend_base else 0 end
        ) as total_spend,
        max(case when daily.completed_orders > 0 then daily.activity_date end)
            as last_order_date,
        {%- for channel in channels %}
        sum(
            case
                when {{ in_window }} then {{ decay }} * daily.{{ channel }}_interactions
                else 0
            end
        ) as {{ channel }}_interactions,
        {%- endfor %}
        sum(
            case
                when {{ in_window }}
                    then {{ decay }} * ({{ all_channels | join(' + ') }})
                else 0
            end
        ) as interaction_count,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.product_views else 0 end
        ) as product_views,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.feedback_responses else 0 end
        ) as review_count,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.rating_sum end
        ) / nullif(sum(
            case when {{ in_window }} then {{ decay }} * daily.rated_responses end
        ), 0) as average_rating,
        sum(
            case when {{ in_window }} then {{ decay }} * daily.social_engagements else 0 end
        ) as social_engagement
    from daily
    cross join scoring_date
    where daily.activity_date <= scoring_date.as_of_date
    group by daily.customer_id, scoring_date.as_of_date

),

final as (

    -- Every metric is rounded to 6 decimals: sums of floating-point values
    -- come out in the last bits as the engine happens to add them up, and
    -- rounding makes the same data give the same metrics on every run.
    select
        customers.customer_id,
        customers.as_of_date,
        round(cast(coalesce(activity_metrics.purchase_frequency, 0) as double), 6)
            as purchase_frequency,
        round(cast(coalesce(activity_metrics.total_spend, 0) as double), 6) as total_spend,
        round(cast(
            activity_metrics.total_spend / nullif(activity_metrics.purchase_frequency, 0)
            as double
        ), 6) as average_order_value,
        cast({{ dbt.datediff(
            'activity_metrics.last_order_date', 'customers.as_of_date', 'day'
        ) }} as double) as recency_days,
        round(cast(coalesce(activity_metrics.interaction_count, 0) as double), 6)
            as interaction_count,
        {%- for channel in channels %}
        round(cast(coalesce(activity_metrics.{{ channel }}_interactions, 0) as double), 6)
            as {{ channel }}_interactions,
        {%- endfor %}
        round(cast(coalesce(activity_metrics.product_views, 0) as double), 6) as product_views,
        round(cast(activity_metrics.average_rating as double), 6) as average_rating,
        round(cast(coalesce(activity_metrics.review_count, 0) as double), 6) as review_count,
        round(cast(coalesce(activity_metrics.social_engagement, 0) as double), 6)
            as social_engagement,
        '{{ var("cbs_base_currency") }}' as base_currency
    from customers
    left join activity_metrics
        on customers.customer_id = activity_metrics.customer_id
        and customers.as_of_date = activity_metrics.as_of_date

)

select * from final
