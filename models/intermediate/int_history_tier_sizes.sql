-- One row per scoring profile, date of customer_score_history and tier:
-- how many customers held the tier on that date. The history's dates and
-- tier sizes in a few rows, so the marts over the history find them
-- without reading every score (tier_forecast, and the start of what an
-- incremental mart reads again: cbs_history_rewrite_start).
--
-- Incremental like the history: a run counts the dates it wrote
-- (int_scoring_dates) and replaces their rows, so it costs one pass over
-- the run's own scores. A tier nobody holds on a date has no row. Spark
-- on Parquet cannot replace rows, so there it is a table counted from the
-- whole history on every run (same rows).

-- depends_on: {{ ref('int_scoring_dates') }}

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key=['scoring_profile', 'as_of_date'],
) }}

with history as (

    select history_rows.*
    from {{ ref('customer_score_history') }} as history_rows
    {%- if is_incremental() %}
    where
        history_rows.as_of_date in (
            select scoring_dates.as_of_date from {{ ref('int_scoring_dates') }} as scoring_dates
        )
    {%- endif %}

),

final as (

    select
        scoring_profile,
        as_of_date,
        tier,
        tier_rank,
        cast(count(*) as integer) as customers
    from history
    group by scoring_profile, as_of_date, tier, tier_rank

)

select * from final
