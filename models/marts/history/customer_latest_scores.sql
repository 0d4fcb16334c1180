-- One row per customer: the default-profile score and tier of the
-- customer's latest scoring date in the history, the input of snapshot
-- customer_tier_snapshot. The latest row is found by joining on the latest
-- date, never by picking one row per customer, so a duplicated key would
-- come through and fail this model's unique test, which dbt build runs
-- before the snapshot.
--
-- Incremental: a run reads only the history rows of the dates it wrote
-- (int_scoring_dates) and the rows already here of the customers in them,
-- and replaces those customers' rows, so its cost does not grow with the
-- history. A row already here on a date the run scores again is replaced
-- by the new one. Rows follow the default profile of the run that wrote
-- them: after changing var cbs_default_profile, run with --full-refresh.
-- On Spark a table rebuilt from the whole history.

-- depends_on: {{ ref('int_scoring_dates') }}

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    on_schema_change='append_new_columns',
    unique_key='customer_id',
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

written as (

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

default_scores as (

    select * from written
    {%- if is_incremental() %}
    union all
    select
        kept.customer_id,
        kept.scoring_profile,
        kept.as_of_date,
        kept.score,
        kept.tier,
        kept.tier_rank
    from {{ this }} as kept
    where
        kept.customer_id in (select written.customer_id from written)
        and kept.as_of_date not in (
            select scoring_dates.as_of_date from {{ ref('int_scoring_dates') }} as scoring_dates
        )
    {%- endif %}

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
