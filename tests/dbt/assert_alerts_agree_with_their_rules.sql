-- Every alert row agrees with itself and with the history: the kind
-- matches the rule flags (score_drop exactly when the score rule fired,
-- baseline_drop when only the baseline rule did, and at least one rule
-- fired), the previous date is earlier, the change
-- is after minus before, and the before and after values are the
-- customer's default-profile scores on those dates. Returns each alert
-- that breaks any of these.

with alerts as (

    select * from {{ ref('score_alerts') }}

),

history as (

    select * from {{ ref('customer_score_history') }}
    where scoring_profile = '{{ var("cbs_default_profile") }}'

),

checked as (

    select alerts.*
    from alerts
    left join history as before_scores
        on alerts.customer_id = before_scores.customer_id
        and alerts.previous_as_of_date = before_scores.as_of_date
    left join history as after_scores
        on alerts.customer_id = after_scores.customer_id
        and alerts.as_of_date = after_scores.as_of_date
    where
        not (
            alerts.is_score_drop
            or alerts.is_baseline_drop
            or alerts.is_tier_drop
        )
        or (alerts.alert_kind = 'score_drop') <> alerts.is_score_drop
        or (alerts.alert_kind = 'baseline_drop')
        <> (alerts.is_baseline_drop and not alerts.is_score_drop)
        or (alerts.is_baseline_drop and alerts.baseline_change is null)
        or alerts.previous_as_of_date >= alerts.as_of_date
        or abs(alerts.score_change - (alerts.score_after - alerts.score_before)) > 0.00005
        or before_scores.score is null
        or after_scores.score is null
        or before_scores.score <> alerts.score_before
        or after_scores.score <> alerts.score_after
        or before_scores.tier <> alerts.tier_before
        or after_scores.tier <> alerts.tier_after

)

select * from checked
