-- One row per customer scored on the newest date of the run (default
-- profile): the customer's tier crossed with a lifecycle stage, and the
-- action the seed segment_actions recommends for that segment.
--
-- Lifecycle stage, tested in this order (thresholds are vars, in days
-- before the as-of date):
--   new      first seen at most cbs_lifecycle_new_days ago
--   active   last activity at most cbs_lifecycle_active_days ago
--   cooling  last activity at most cbs_lifecycle_cooling_days ago
--   lapsed   anything older, or no activity at all

{%- set lifecycle = cbs_lifecycle_settings() %}

with newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

activity as (

    select * from {{ ref('int_customer_activity_summarised') }}

),

actions as (

    select * from {{ ref('int_segment_actions') }}

),

aged as (

    select
        newest_scores.*,
        cast(activity.first_seen_at as date) as first_seen_date,
        cast(activity.last_activity_at as date) as last_activity_date,
        {{ dbt.datediff(
            'cast(activity.first_seen_at as date)',
            'newest_scores.as_of_date',
            'day'
        ) }} as days_since_first_seen,
        {{ dbt.datediff(
            'cast(activity.last_activity_at as date)',
            'newest_scores.as_of_date',
            'day'
        ) }} as days_since_last_activity
    from newest_scores
    left join activity
        on newest_scores.customer_id = activity.customer_id

),

staged as (

    select
        *,
        case
            when days_since_first_seen <= {{ lifecycle.new_days }} then 'new'
            when days_since_last_activity <= {{ lifecycle.active_days }} then 'active'
            when days_since_last_activity <= {{ lifecycle.cooling_days }} then 'cooling'
            else 'lapsed'
        end as lifecycle_stage
    from aged

),

final as (

    select
        staged.customer_id,
        staged.as_of_date,
        staged.scoring_profile,
        cast(staged.score as double) as score,
        staged.tier,
        staged.tier_rank,
        staged.lifecycle_stage,
        {{ dbt.concat(['staged.tier', "' / '", 'staged.lifecycle_stage']) }} as segment,
        staged.first_seen_date,
        staged.last_activity_date,
        cast(staged.days_since_first_seen as integer) as days_since_first_seen,
        cast(staged.days_since_last_activity as integer) as days_since_last_activity,
        actions.action,
        actions.channel,
        actions.action_description
    from staged
    left join actions
        on staged.tier = actions.tier
        and staged.lifecycle_stage = actions.lifecycle_stage

)

select * from final
