-- The tier forecast moves customers between tiers without creating or
-- losing any: for each profile and basis date the predicted sizes add up
-- to the basis date's customers (up to the 4-decimal rounding per tier),
-- and the migration shares out of each tier add up to 1. Returns each
-- basis date or tier transition where a total is off.

with forecast_totals as (

    select
        scoring_profile,
        basis_as_of_date as as_of_date,
        'forecast' as checked_table,
        sum(predicted_customers) as total,
        sum(basis_customers) as expected_total
    from {{ ref('tier_forecast') }}
    group by scoring_profile, basis_as_of_date

),

migration_totals as (

    select
        scoring_profile,
        from_as_of_date as as_of_date,
        {{ dbt.concat(["'migration from '", 'from_tier']) }} as checked_table,
        sum(share_of_from_tier) as total,
        1 as expected_total
    from {{ ref('tier_migration') }}
    group by scoring_profile, from_as_of_date, from_tier

),

totals as (

    select * from forecast_totals
    union all
    select * from migration_totals

)

select * from totals
where abs(total - expected_total) > 0.001
