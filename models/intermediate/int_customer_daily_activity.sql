-- One row per CRM customer and UTC day with any matched activity: what the
-- customer did that day, summed. The metrics are computed from these rows
-- (int_customer_metrics), since every rule of the score works in whole days:
-- the window starts and ends at midnight and the half-life decay uses the
-- age in days, so a day's sum gives the same metrics as its events.
--
-- Incremental, one day at a time: a run recomputes every day that holds a
-- staged event row (re)classified since this table was last built, whatever
-- its date, so a late event (dated days back, arriving now) and a late
-- duplicate both reach their day, and the day's rows are replaced whole.
-- A changed order line recomputes its order's day. When the CRM identities
-- changed (a key gained, lost or changed holder: identity_fingerprint), the
-- pre-hook empties the table and the run recomputes every day, since any
-- old event may now belong to someone else.

-- depends_on: {{ ref('base_crm__interactions') }}
-- depends_on: {{ ref('base_shop__orders') }}
-- depends_on: {{ ref('base_shop__order_lines') }}
-- depends_on: {{ ref('base_shop__product_views') }}
-- depends_on: {{ ref('base_social__engagements') }}
-- depends_on: {{ ref('base_feedback__responses') }}

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='activity_date',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where identity_fingerprint"
        ~ " <> ({{ cbs_identity_fingerprint() }}){% endif %}",
) }}

{%- set channels = ['call', 'email', 'chat', 'visit'] %}

{%- set events = [
    ('base_crm__interactions', 'occurred_at'),
    ('base_shop__orders', 'ordered_at'),
    ('base_shop__product_views', 'viewed_at'),
    ('base_social__engagements', 'occurred_at'),
    ('base_feedback__responses', 'submitted_at'),
] %}

with orders as (

    select
        customer_id,
        cast(ordered_at as date) as activity_date,
        1 as orders_placed,
        case when status = 'completed' then 1 else 0 end as completed_orders,
        case when status = 'completed' then order_amount_base else 0 end
            as completed_spend_base
    from {{ ref('int_orders_stitched') }}
    where customer_id is not null

),

interactions as (

    select
        customer_id,
        cast(occurred_at as date) as activity_date,
        channel
    from {{ ref('int_interactions_stitched') }}
    where customer_id is not null

),

views as (

    select
        customer_id,
        cast(viewed_at as date) as activity_date
    from {{ ref('int_product_views_stitched') }}
    where customer_id is not null

),

feedback as (

    select
        customer_id,
        cast(submitted_at as date) as activity_date,
        rating
    from {{ ref('int_feedback_stitched') }}
    where customer_id is not null

),

engagements as (

    select
        customer_id,
        cast(occurred_at as date) as activity_date
    from {{ ref('int_engagements_stitched') }}
    where customer_id is not null

),

events as (

    select
        customer_id,
        activity_date,
        orders_placed,
        completed_orders,
        completed_spend_base,
        {%- for channel in channels %}
        0 as {{ channel }}_interactions,
        {%- endfor %}
        0 as product_views,
        0 as feedback_responses,
        cast(null as double) as rating,
        0 as social_engagements
    from orders

    union all

    select
        customer_id,
        activity_date,
        0 as orders_placed,
        0 as completed_orders,
        0 as completed_spend_base,
        {%- for channel in channels %}
        case when channel = '{{ channel }}' then 1 else 0 end as {{ channel }}_interactions,
        {%- endfor %}
        0 as product_views,
        0 as feedback_responses,
        cast(null as double) as rating,
        0 as social_engagements
    from interactions

    union all

    select
        customer_id,
        activity_date,
        0 as orders_placed,
        0 as completed_orders,
        0 as completed_spend_base,
        {%- for channel in channels %}
        0 as {{ channel }}_interactions,
        {%- endfor %}
        1 as product_views,
        0 as feedback_responses,
        cast(null as double) as rating,
        0 as social_engagements
    from views

    union all

    select
        customer_id,
        activity_date,
        0 as orders_placed,
        0 as completed_orders,
        0 as completed_spend_base,
        {%- for channel in channels %}
        0 as {{ channel }}_interactions,
        {%- endfor %}
        0 as product_views,
        1 as feedback_responses,
        cast(rating as double) as rating,
        0 as social_engagements
    from feedback

    union all

    select
        customer_id,
        activity_date,
        0 as orders_placed,
        0 as completed_orders,
        0 as completed_spend_base,
        {%- for channel in channels %}
        0 as {{ channel }}_interactions,
        {%- endfor %}
        0 as product_views,
        0 as feedback_responses,
        cast(null as double) as rating,
        1 as social_engagements
    from engagements

),

{%- if is_incremental() %}

changed_days as (

    {%- for model, column in events %}
    select cast(changed.{{ column }} as date) as activity_date
    from ({{ cbs_classified_since(model) }}) as changed
    where changed.{{ column }} is not null

    union
    {% endfor %}
    select cast(orders.ordered_at as date) as activity_date
    from ({{ cbs_classified_since('base_shop__order_lines') }}) as changed_lines
    inner join {{ ref('base_shop__orders') }} as orders
        on changed_lines.order_id = orders.order_id
    where orders.ordered_at is not null

),
{%- endif %}

events_to_sum as (

    select * from events
    {%- if is_incremental() %}
    where activity_date in (select changed_days.activity_date from changed_days)
    {%- endif %}

),

identity as (

    select ({{ cbs_identity_fingerprint() }}) as identity_fingerprint

),

daily as (

    select
        events_to_sum.customer_id,
        events_to_sum.activity_date,
        sum(events_to_sum.orders_placed) as orders_placed,
        sum(events_to_sum.completed_orders) as completed_orders,
        cast(sum(events_to_sum.completed_spend_base) as double) as completed_spend_base,
        {%- for channel in channels %}
        sum(events_to_sum.{{ channel }}_interactions) as {{ channel }}_interactions,
        {%- endfor %}
        sum(events_to_sum.product_views) as product_views,
        sum(events_to_sum.feedback_responses) as feedback_responses,
        count(events_to_sum.rating) as rated_responses,
        cast(sum(events_to_sum.rating) as double) as rating_sum,
        sum(events_to_sum.social_engagements) as social_engagements
    from events_to_sum
    group by events_to_sum.customer_id, events_to_sum.activity_date

),

final as (

    select
        daily.*,
        identity.identity_fingerprint,
        {{ cbs_run_started_at() }} as refreshed_at
    from daily
    cross join identity

)

select * from final
