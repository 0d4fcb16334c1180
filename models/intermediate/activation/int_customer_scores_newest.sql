-- One row per customer scored on the newest as-of date of the run, in the
-- default profile (var cbs_default_profile): the scores and tiers the
-- activation marts act on. A run that scores several dates acts on the
-- newest only; earlier dates are history.

with scores as (

    select * from {{ ref('customer_scores') }}

),

newest_date as (

    select max(as_of_date) as as_of_date
    from scores
    where is_default_profile

),

newest_default_scores as (

    select
        scores.customer_id,
        scores.scoring_profile,
        scores.as_of_date,
        scores.score,
        scores.tier,
        scores.tier_rank
    from scores
    inner join newest_date
        on scores.as_of_date = newest_date.as_of_date
    where scores.is_default_profile

)

select * from newest_default_scores
