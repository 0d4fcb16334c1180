-- One row per customer and as-of date: every scoring metric mapped to 0..1
-- among the customers of the same date, once per normalisation method
-- (columns <metric>_<method>; higher value, higher result; direction and
-- the missing-value rule come later, per profile, in customer_scores).
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
--
-- Wide on purpose: a customer's metrics stay on one row from here to the
-- score, so no step handles a row per customer, metric and profile (at a
-- hundred million events that long form was the costliest part of a run).
-- All three methods are computed for every metric, whatever the weight seed
-- uses, so the columns never depend on seed content: rank and the 99th
-- percentile each sort the metric's values once per date, the rest is
-- arithmetic on the row.

with metrics as (

    select * from {{ ref('int_customer_metrics') }}

),

stats as (

    select
        {%- for metric in cbs_scoring_metrics() %}
        count({{ metric }}) as {{ metric }}__count,
        min({{ metric }}) as {{ metric }}__min,
        max({{ metric }}) as {{ metric }}__max,
        {{ cbs_ln('1 + greatest(min(' ~ metric ~ '), 0)') }} as {{ metric }}__log_min,
        {{ cbs_ln('1 + greatest(' ~ cbs_percentile(metric, 0.99) ~ ', 0)') }}
            as {{ metric }}__log_cap,
        {%- endfor %}
        as_of_date
    from metrics
    group by as_of_date

),

{%- for metric in cbs_scoring_metrics() %}

{{ metric }}__value_ranks as (

    -- The rank of each distinct value: 1 + the customers of the date with
    -- a lower one. Counted over the distinct values rather than by a
    -- window over every customer, which would carry each customer's whole
    -- row through a sort, once per metric.
    select
        as_of_date,
        {{ metric }},
        1 + coalesce(sum(customers) over (
            partition by as_of_date
            order by {{ metric }}
            rows between unbounded preceding and 1 preceding
        ), 0) as value_rank
    from (
        select
            as_of_date,
            {{ metric }},
            count(*) as customers
        from metrics
        where {{ metric }} is not null
        group by as_of_date, {{ metric }}
    ) as value_counts

),
{%- endfor %}

ranked as (

    select
        {%- for metric in cbs_scoring_metrics() %}
        metrics.{{ metric }},
        {{ metric }}__value_ranks.value_rank as {{ metric }}__value_rank,
        {%- endfor %}
        metrics.customer_id,
        metrics.as_of_date
    from metrics
    {% for metric in cbs_scoring_metrics() -%}
    left join {{ metric }}__value_ranks
        on metrics.as_of_date = {{ metric }}__value_ranks.as_of_date
        and metrics.{{ metric }} = {{ metric }}__value_ranks.{{ metric }}
    {% endfor %}

),

normalised as (

    -- Each result is clamped to 0..1, so rounding error never leaves the
    -- range; a missing value is kept apart, since greatest and least skip
    -- NULLs on some engines.
    select
        {%- for metric in cbs_scoring_metrics() %}
        {%- set constant = "stats." ~ metric ~ "__count <= 1 or stats." ~ metric
            ~ "__max = stats." ~ metric ~ "__min" %}
        case
            when ranked.{{ metric }} is null then null
            when {{ constant }} then 0.5
            else {{ cbs_clamp_to_unit(
                "(ranked." ~ metric ~ "__value_rank - 1) * 1.0 / (stats."
                ~ metric ~ "__count - 1)"
            ) }}
        end as {{ metric }}_rank,
        case
            when ranked.{{ metric }} is null then null
            when {{ constant }} then 0.5
            else {{ cbs_clamp_to_unit(
                "(ranked." ~ metric ~ " - stats." ~ metric ~ "__min) / (stats."
                ~ metric ~ "__max - stats." ~ metric ~ "__min)"
            ) }}
        end as {{ metric }}_minmax,
        case
            when ranked.{{ metric }} is null then null
            when {{ constant }} then 0.5
            when stats.{{ metric }}__log_cap = stats.{{ metric }}__log_min then 0.5
            else {{ cbs_clamp_to_unit(
                "(least(" ~ cbs_ln("1 + greatest(ranked." ~ metric ~ ", 0)") ~ ", stats."
                ~ metric ~ "__log_cap) - stats." ~ metric ~ "__log_min) / (stats."
                ~ metric ~ "__log_cap - stats." ~ metric ~ "__log_min)"
            ) }}
        end as {{ metric }}_capped_log_minmax,
        {%- endfor %}
        ranked.customer_id,
        ranked.as_of_date
    from ranked
    inner join stats
        on ranked.as_of_date = stats.as_of_date

)

select * from normalised
