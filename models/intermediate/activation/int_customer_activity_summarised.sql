-- One row per CRM customer: when the customer was first seen and when they
-- last did anything, as of the newest date scored in this run. First seen
-- is the earlier of the CRM record's creation and the first activity;
-- activity is any stitched order, interaction, product view, feedback or
-- social engagement. Nothing after the end of the as-of day counts, so a
-- past date gives the same result as on that day.

with scoring_date as (

    select max(as_of_date) as as_of_date
    from {{ ref('int_scoring_dates') }}

),

customers as (

    select
        customer_id,
        created_at
    from {{ ref('stg_crm__customers') }}

),

activity as (

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
        {{ column }} as event_at
    from {{ ref(model) }}
    where customer_id is not null
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

activity_until_as_of as (

    select
        activity.customer_id,
        min(activity.event_at) as first_activity_at,
        max(activity.event_at) as last_activity_at
    from activity
    cross join scoring_date
    where
        activity.event_at
        < cast({{ dbt.dateadd('day', 1, 'scoring_date.as_of_date') }} as timestamp)
    group by activity.customer_id

),

summarised as (

    select
        customers.customer_id,
        scoring_date.as_of_date,
        case
            when customers.created_at is null
                then activity_until_as_of.first_activity_at
            when activity_until_as_of.first_activity_at is null
                then customers.created_at
            else least(customers.created_at, activity_until_as_of.first_activity_at)
        end as first_seen_at,
        activity_until_as_of.last_activity_at
    from customers
    cross join scoring_date
    left join activity_until_as_of
        on customers.customer_id = activity_until_as_of.customer_id

)

select * from summarised
