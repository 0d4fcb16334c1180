-- One row per customer and scoring profile scored on any of the
-- history's last var cbs_trend_dates scoring dates: where the customer's
-- score is heading, as the least-squares slope of the score over those of
-- the dates the customer was scored on (score points per day; NULL with
-- fewer than two), with the change from the first to the last of them.
--
-- Only those dates are read (found in int_history_tier_sizes), so the
-- cost of a run stays the same however long the history grows, and one
-- grouping gives every figure: the slope's x is the day counted from the
-- first of the trend dates (a shift of x leaves a slope unchanged), the
-- first and last scores are the scores at the customer's first and last
-- of those dates.

{%- set trend_dates = cbs_number_var('cbs_trend_dates', minimum=2, integer=true) | int %}

with trend_dates as (

    select as_of_date
    from (select distinct as_of_date from {{ ref('int_history_tier_sizes') }}) as history_dates
    order by as_of_date desc
    limit {{ trend_dates }}

),

trend_start as (

    select min(as_of_date) as first_trend_date from trend_dates

),

positioned as (

    select
        history_rows.customer_id,
        history_rows.scoring_profile,
        history_rows.as_of_date,
        history_rows.score,
        -- Scores have 4 decimals: in ten-thousandths they are whole
        -- numbers, whose sums do not depend on the order the engine adds
        -- them in, so the slope is the same however the history was
        -- written (floating-point sums moved its 6th decimal between a
        -- rebuild and a sequence of runs).
        cast(round(history_rows.score * 10000) as bigint) as score_units,
        {{ dbt.datediff('trend_start.first_trend_date', 'history_rows.as_of_date', 'day') }}
            as trend_day
    from {{ ref('customer_score_history') }} as history_rows
    inner join trend_start
        on history_rows.as_of_date >= trend_start.first_trend_date

),

fitted as (

    select
        customer_id,
        scoring_profile,
        min(as_of_date) as first_as_of_date,
        max(as_of_date) as last_as_of_date,
        count(*) as scoring_dates,
        {{ cbs_value_at_min('score', 'as_of_date') }} as first_score,
        {{ cbs_value_at_max('score', 'as_of_date') }} as last_score,
        {{ cbs_least_squares_slope('trend_day', 'score_units') }} / 10000.0 as slope
    from positioned
    group by customer_id, scoring_profile

),

final as (

    select
        customer_id,
        scoring_profile,
        first_as_of_date,
        last_as_of_date,
        cast(scoring_dates as integer) as scoring_dates,
        first_score,
        last_score,
        round(last_score - first_score, 4) as score_change,
        -- Rounded, so the same history gives the same slope on any engine.
        cast(round(cast(slope as double), 6) as double) as score_slope_per_day
    from fitted

)

select * from final
