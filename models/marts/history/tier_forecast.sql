-- One row per scoring profile, basis date and tier: the customers expected
-- in the tier on the scoring date after the basis date, forecast as the
-- basis date's tier sizes times the migration shares of the transition
-- that ended on the basis date (tier_migration). For the latest date in
-- the history this is the forecast of the next period, dated one usual
-- step ahead; for every earlier basis date the same method is checked
-- against what then happened (is_backtest), with its absolute error.
--
-- A tier nobody moved out of in the transition (it was empty) keeps its
-- customers. Customers scored for the first time in the forecast period
-- are not forecast, so actual sizes may run above the forecast when the
-- customer base grows. Sizes and dates come from int_history_tier_sizes,
-- a few rows per date, never from the scores themselves.

with tier_sizes as (

    select
        scoring_profile,
        as_of_date,
        tier,
        customers
    from {{ ref('int_history_tier_sizes') }}

),

migration as (

    select * from {{ ref('tier_migration') }}

),

tiers as (

    select * from {{ ref('int_score_tiers') }}

),

scoring_dates as (

    select
        scoring_profile,
        as_of_date,
        lag(as_of_date) over (
            partition by scoring_profile
            order by as_of_date
        ) as previous_as_of_date,
        lead(as_of_date) over (
            partition by scoring_profile
            order by as_of_date
        ) as next_as_of_date
    from (
        select distinct
            scoring_profile,
            as_of_date
        from tier_sizes
    ) as distinct_dates

),

basis_dates as (

    select
        scoring_profile,
        as_of_date as basis_as_of_date,
        previous_as_of_date as rates_from_as_of_date,
        next_as_of_date is not null as is_backtest,
        coalesce(
            next_as_of_date,
            cast({{ dbt.dateadd(
                'day',
                dbt.datediff('previous_as_of_date', 'as_of_date', 'day'),
                'as_of_date'
            ) }} as date)
        ) as forecast_as_of_date
    from scoring_dates
    where previous_as_of_date is not null

),

flows as (

    select
        basis_dates.scoring_profile,
        basis_dates.basis_as_of_date,
        coalesce(migration.to_tier, tier_sizes.tier) as tier,
        tier_sizes.customers * coalesce(migration.share_of_from_tier, 1.0)
            as predicted_customers
    from basis_dates
    inner join tier_sizes
        on basis_dates.scoring_profile = tier_sizes.scoring_profile
        and basis_dates.basis_as_of_date = tier_sizes.as_of_date
    left join migration
        on tier_sizes.scoring_profile = migration.scoring_profile
        and basis_dates.rates_from_as_of_date = migration.from_as_of_date
        and basis_dates.basis_as_of_date = migration.to_as_of_date
        and tier_sizes.tier = migration.from_tier

),

predicted as (

    select
        scoring_profile,
        basis_as_of_date,
        tier,
        sum(predicted_customers) as predicted_customers
    from flows
    group by scoring_profile, basis_as_of_date, tier

),

grid as (

    select
        basis_dates.scoring_profile,
        basis_dates.basis_as_of_date,
        basis_dates.rates_from_as_of_date,
        basis_dates.forecast_as_of_date,
        basis_dates.is_backtest,
        tiers.tier_name as tier,
        tiers.tier_rank
    from basis_dates
    cross join tiers

),

sized as (

    select
        grid.scoring_profile,
        grid.basis_as_of_date,
        grid.rates_from_as_of_date,
        grid.forecast_as_of_date,
        grid.is_backtest,
        grid.tier,
        grid.tier_rank,
        coalesce(basis_sizes.customers, 0) as basis_customers,
        coalesce(predicted.predicted_customers, 0) as predicted_customers,
        coalesce(actual_sizes.customers, 0) as actual_customers
    from grid
    left join tier_sizes as basis_sizes
        on grid.scoring_profile = basis_sizes.scoring_profile
        and grid.basis_as_of_date = basis_sizes.as_of_date
        and grid.tier = basis_sizes.tier
    left join predicted
        on grid.scoring_profile = predicted.scoring_profile
        and grid.basis_as_of_date = predicted.basis_as_of_date
        and grid.tier = predicted.tier
    left join tier_sizes as actual_sizes
        on grid.scoring_profile = actual_sizes.scoring_profile
        and grid.forecast_as_of_date = actual_sizes.as_of_date
        and grid.tier = actual_sizes.tier

),

final as (

    select
        scoring_profile,
        basis_as_of_date,
        rates_from_as_of_date,
        forecast_as_of_date,
        is_backtest,
        tier,
        tier_rank,
        cast(basis_customers as integer) as basis_customers,
        cast(round(predicted_customers, 4) as double) as predicted_customers,
        case
            when is_backtest then cast(actual_customers as integer)
        end as actual_customers,
        case
            when is_backtest
                then cast(round(abs(predicted_customers - actual_customers), 4) as double)
        end as absolute_error
    from sized

)

select * from final
