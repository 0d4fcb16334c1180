-- One row per customer, as-of date, metric and normalisation method in use:
-- the metric mapped to 0..1 among the customers of the same date (higher
-- value, higher result; direction comes later).
--
-- rank:              percent rank, (rank - 1) / (n - 1): the share of the
--                    other customers with a lower value. Equal values share
--                    the lowest rank, so they always get equal results, and
--                    the smallest value (often 0, no activity) maps to 0.
-- minmax:            (x - min) / (max - min).
-- capped_log_minmax: ln(1 + x) with x capped at its 99th percentile and
--                    floored at 0, then min-max.
-- Customers without a value are left out of n, min and max and get NULL.
-- When every value is the same (or only one customer has one), the result
-- is 0.5 for all: a constant says nothing about anyone.

with metric_values as (

    select * from {{ ref('int_customer_metric_values') }}

),

methods_in_use as (

    select distinct
        metric_name,
        normalisation
    from {{ ref('int_scoring_weights') }}

),

measured as (

    select
        metric_values.customer_id,
        metric_values.as_of_date,
        metric_values.metric_name,
        metric_values.metric_order,
        methods_in_use.normalisation,
        metric_values.metric_value
    from metric_values
    inner join methods_in_use
        on metric_values.metric_name = methods_in_use.metric_name

),

stats as (

    select
        as_of_date,
        metric_name,
        normalisation,
        count(metric_value) as value_count,
        min(metric_value) as min_value,
        max(metric_value) as max_value,
        {{ cbs_percentile('metric_value', 0.99) }} as cap_value
    from measured
    group by as_of_date, metric_name, normalisation

),

log_stats as (

    select
        *,
        {{ cbs_ln('1 + greatest(min_value, 0)') }} as log_min_value,
        {{ cbs_ln('1 + greatest(cap_value, 0)') }} as log_cap_value
    from stats

),

ranked as (

    select
        measured.*,
        {{ cbs_ln('1 + greatest(measured.metric_value, 0)') }} as log_value,
        rank() over (
            partition by
                measured.as_of_date,
                measured.metric_name,
                measured.normalisation,
                measured.metric_value is null
            order by measured.metric_value
        ) as value_rank
    from measured

),

normalised as (

    select
        ranked.customer_id,
        ranked.as_of_date,
        ranked.metric_name,
        ranked.metric_order,
        ranked.normalisation,
        ranked.metric_value,
        case
            when ranked.metric_value is null then null
            when log_stats.value_count <= 1 or log_stats.max_value = log_stats.min_value then 0.5
            when ranked.normalisation = 'rank'
                then (ranked.value_rank - 1) * 1.0 / (log_stats.value_count - 1)
            when ranked.normalisation = 'minmax'
                then (ranked.metric_value - log_stats.min_value)
                    / (log_stats.max_value - log_stats.min_value)
            when log_stats.log_cap_value = log_stats.log_min_value then 0.5
            when ranked.normalisation = 'capped_log_minmax'
                then (least(ranked.log_value, log_stats.log_cap_value) - log_stats.log_min_value)
                    / (log_stats.log_cap_value - log_stats.log_min_value)
        end as raw_normalised_value
    from ranked
    inner join log_stats
        on ranked.as_of_date = log_stats.as_of_date
        and ranked.metric_name = log_stats.metric_name
        and ranked.normalisation = log_stats.normalisation

),

clamped as (

    select
        customer_id,
        as_of_date,
        metric_name,
        metric_order,
        normalisation,
        metric_value,
        -- Rounding error must never push a value outside 0..1. (greatest and
        -- least skip NULLs on some engines, so a missing value is kept apart.)
        case
            when raw_normalised_value is not null
                then least(greatest(cast(raw_normalised_value as double), 0.0), 1.0)
        end as normalised_value
    from normalised

)

select * from clamped
