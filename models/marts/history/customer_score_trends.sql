-- One row per customer and scoring profile scored on any of the
-- history's last var cbs_trend_dates scoring dates: where the customer's
-- score is heading, as the least-squares slope of the score over those of
-- the dates the customer was scored on (score points per day; NULL with
-- fewer than two), with the change from the first to the last of them.
--
-- Only those dates are read (found in int_history_tier_sizes), so the
-- cost of a run stays the same however long the history grows.

{%- set trend_dates = cbs_number_var('cbs_trend_dates', minimum=2, integer=true) | int %}

with trend_dates as (

    select as_of_date
    from (select distinct as_of_date from {{ ref('int_history_tier_sizes') }}) as history_dates
    order by as_of_date desc
    limit {{ trend_dates }}

),

history as (

    select history_rows.*
    from {{ ref('customer_score_history') }} as history_rows
    where history_rows.as_of_date >= (select min(trend_dates.as_of_date) from trend_dates)

),

numbered as (

    select
        customer_id,
        scoring_profile,
        as_of_date,
        score,
        row_number() over (
            partition by customer_id, scoring_profile
            order by as_of_date desc
        ) as dates_back
    from history

),

recent as (

    select * from numbered
    where dates_back <= {{ trend_dates }}

),

bounds as (

    select
        customer_id,
        scoring_profile,
        min(as_of_date) as first_as_of_date,
        max(as_of_date) as last_as_of_date,
        count(*) as scoring_dates
    from recent
    group by customer_id, scoring_profile

),

positioned as (

    select
        recent.customer_id,
        recent.scoring_profile,
        recent.dates_back,
        recent.score,
        bounds.scoring_dates,
        {{ dbt.datediff('bounds.first_as_of_date', 'recent.as_of_date', 'day') }}
            as days_since_first
    from recent
    inner join bounds
        on recent.customer_id = bounds.customer_id
        and recent.scoring_profile = bounds.scoring_profile

),

fitted as (

    select
        customer_id,
        scoring_profile,
        max(case when dates_back = 1 then score end) as last_score,
        max(case when dates_back = scoring_dates then score end) as first_score,
        {{ cbs_least_squares_slope('days_since_first', 'score') }} as slope
    from positioned
    group by customer_id, scoring_profile

),

final as (

    select
        bounds.customer_id,
        bounds.scoring_profile,
        bounds.first_as_of_date,
        bounds.last_as_of_date,
        cast(bounds.scoring_dates as integer) as scoring_dates,
        fitted.first_score,
        fitted.last_score,
        round(fitted.last_score - fitted.first_score, 4) as score_change,
        -- Rounded, so the same history gives the same slope on any engine.
        cast(round(fitted.slope, 6) as double) as score_slope_per_day
    from bounds
    inner join fitted
        on bounds.customer_id = fitted.customer_id
        and bounds.scoring_profile = fitted.scoring_profile

)

select * from final
