-- One row per scoring profile, customer, as-of date and weighted metric: the metric's
-- normalised value with its direction and missing-value rule applied, the
-- weight it gets, and its contribution to the 0..100 score.
--
-- A metric with the same value for every customer in a profile carries no
-- information: its weight goes, pro rata, to the profile's other metrics,
-- so a company without (say) social data still scores on 0..100. If no
-- metric varies at all, the configured shares stand and everyone scores
-- alike.

with weights as (

    select * from {{ ref('int_scoring_weights') }}

),

normalised as (

    select * from {{ ref('int_customer_metrics_normalised') }}

),

directed as (

    select
        weights.scoring_profile,
        weights.is_default_profile,
        normalised.customer_id,
        normalised.as_of_date,
        normalised.metric_name,
        normalised.metric_order,
        normalised.metric_value,
        weights.weight,
        weights.weight_share,
        case
            when normalised.normalised_value is null then weights.value_if_missing
            when weights.direction = 'lower_is_better' then 1 - normalised.normalised_value
            else normalised.normalised_value
        end as normalised_value
    from weights
    inner join normalised
        on weights.metric_name = normalised.metric_name
        and weights.normalisation = normalised.normalisation

),

spread as (

    select
        scoring_profile,
        as_of_date,
        metric_name,
        max(normalised_value) > min(normalised_value) as is_informative
    from directed
    group by scoring_profile, as_of_date, metric_name

),

profile_totals as (

    select
        weights.scoring_profile,
        spread.as_of_date,
        sum(case when spread.is_informative then weights.weight_share else 0 end)
            as informative_share
    from weights
    inner join spread
        on weights.scoring_profile = spread.scoring_profile
        and weights.metric_name = spread.metric_name
    group by weights.scoring_profile, spread.as_of_date

),

weighted as (

    select
        directed.scoring_profile,
        directed.is_default_profile,
        directed.customer_id,
        directed.as_of_date,
        directed.metric_name,
        directed.metric_order,
        directed.metric_value,
        directed.normalised_value,
        directed.weight as configured_weight,
        spread.is_informative,
        case
            when profile_totals.informative_share = 0 then directed.weight_share
            when spread.is_informative
                then directed.weight_share / profile_totals.informative_share
            else 0
        end as effective_weight
    from directed
    inner join spread
        on directed.scoring_profile = spread.scoring_profile
        and directed.as_of_date = spread.as_of_date
        and directed.metric_name = spread.metric_name
    inner join profile_totals
        on directed.scoring_profile = profile_totals.scoring_profile
        and directed.as_of_date = profile_totals.as_of_date

),

final as (

    select
        *,
        100 * normalised_value * effective_weight as contribution
    from weighted

)

select * from final
