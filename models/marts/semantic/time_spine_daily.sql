-- One row per calendar day from var cbs_min_valid_date to the end of 2040:
-- the time spine MetricFlow joins time-based metrics to (metric_time).

with days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('cbs_min_valid_date') ~ "' as date)",
        "cast('2041-01-01' as date)"
    ) }}

),

final as (

    select cast(date_day as date) as date_day
    from days

)

select * from final
