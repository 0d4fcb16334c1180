-- One row per customer, scoring profile and as-of date: every score a run
-- has written, kept across runs (customer_scores holds only the dates of
-- the latest run). Each run writes the dates it scored, replacing them
-- when they are already here; those are its own dates plus the history
-- dates within var cbs_history_lookback_days before its newest one (see
-- int_scoring_dates), so late-arriving activity reaches the day it belongs
-- to. Nothing is filtered on event times, so an empty table needs no
-- special case, and a sequence of runs gives the same rows as one full
-- refresh over the same dates.
--
-- Metric values, normalised values, weights and contributions are kept
-- at a fixed precision (6, 10, 10 and 6 decimals; the score already has
-- 4): customer_scores carries float noise in the last bits, from sums
-- whose order depends on which other dates share the run, and the history
-- must hold the same row for a date however it was scored.
--
-- The pre-hook removes every row of the dates being written, not only the
-- keys written again, so a customer no longer scored on a date (removed
-- from the CRM since) leaves that date too. On Spark, which cannot delete
-- from Parquet tables, the table is partitioned by as_of_date and a run
-- overwrites the partitions of its dates instead (same result; macro
-- cbs_history_write_strategy).

{%- set by_partition = cbs_history_write_strategy() == 'insert_overwrite' %}

{{ config(
    materialized='incremental',
    incremental_strategy=cbs_history_write_strategy(),
    partition_by=['as_of_date'] if by_partition else none,
    unique_key=['customer_id', 'scoring_profile', 'as_of_date'],
    on_schema_change='append_new_columns',
    pre_hook="{% if is_incremental() and cbs_history_write_strategy() == 'delete+insert' %}"
        ~ "delete from {{ this }} where as_of_date in"
        ~ " (select as_of_date from {{ ref('int_scoring_dates') }}){% endif %}",
) }}

with scores as (

    select * from {{ ref('customer_scores') }}

),

scoring_dates as (

    select as_of_date from {{ ref('int_scoring_dates') }}

),

written as (

    select
        scores.customer_id,
        scores.scoring_profile,
        scores.as_of_date,
        scores.is_default_profile,
        scores.score,
        scores.tier,
        scores.tier_rank,
        scores.score_rank,
        scores.top_metric,
        {%- for metric in cbs_scoring_metrics() %}
        round(scores.{{ metric }}_value, 6) as {{ metric }}_value,
        round(scores.{{ metric }}_normalised, 10) as {{ metric }}_normalised,
        round(scores.{{ metric }}_weight, 10) as {{ metric }}_weight,
        round(scores.{{ metric }}_contribution, 6) as {{ metric }}_contribution,
        {%- endfor %}
        scores.base_currency
    from scores
    inner join scoring_dates
        on scores.as_of_date = scoring_dates.as_of_date

)

select * from written
