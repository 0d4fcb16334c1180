-- One row per customer: the default-profile score and tier of the
-- customer's latest scoring date in the history, the input of snapshot
-- customer_tier_snapshot. The latest row is found by joining on the latest
-- date, never by picking one row per customer, so a duplicated key would
-- come through and fail this model's unique test, which dbt build runs
-- before the snapshot.

with history as (

    select * from {{ ref('customer_score_history') }}

),

default_scores as (

    select
        customer_id,
        scoring_profile,
        as_of_date,
        score,
        tier,
        tier_rank
    from history
    where scoring_profile = '{{ var("cbs_default_profile") }}'

),

latest_dates as (

    select
        customer_id,
        max(as_of_date) as as_of_date
    from default_scores
    group by customer_id

),

latest_scores as (

    select
        default_scores.customer_id,
        default_scores.scoring_profile,
        default_scores.as_of_date,
        default_scores.score,
        default_scores.tier,
        default_scores.tier_rank
    from default_scores
    inner join latest_dates
        on default_scores.customer_id = latest_dates.customer_id
        and default_scores.as_of_date = latest_dates.as_of_date

)

select * from latest_scores
