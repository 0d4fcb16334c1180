-- One row per scoring profile, as-of date and weighted metric: the weight
-- the metric carries in the score of that date.
--
-- A metric whose value (after its profile's normalisation, direction and
-- missing-value rule) is the same for every customer carries no
-- information: its weight goes, pro rata, to the profile's other metrics,
-- so a company without (say) social data still scores on 0..100. If no
-- metric varies at all, the configured shares stand and everyone scores
-- alike.
--
-- Whether a metric varies is read from the spread of its normalised values
-- per date (one pass over int_customer_metrics_normalised), not from a row
-- per customer and profile: the values a profile sees are the normalised
-- ones, flipped (1 - x) when lower is better, plus value_if_missing for
-- customers without a value; they vary when the normalised values do, or
-- when value_if_missing differs from the one value everybody else has.

{%- set metrics = cbs_scoring_metrics() %}
{%- set columns = [] %}
{%- for metric in metrics %}
{%- for method in cbs_normalisation_methods() %}
{%- do columns.append((metric, method)) %}
{%- endfor %}
{%- endfor %}

with weights as (

    select * from {{ ref('int_scoring_weights') }}

),

normalised as (

    select * from {{ ref('int_customer_metrics_normalised') }}

),

spread_wide as (

    -- A value is missing under every method or none, so the rank column
    -- counts the customers with a value for all three.
    select
        {%- for metric in metrics %}
        count({{ metric }}_rank) as {{ metric }}__valued,
        {%- endfor %}
        {%- for metric, method in columns %}
        min({{ metric }}_{{ method }}) as {{ metric }}_{{ method }}__min,
        max({{ metric }}_{{ method }}) as {{ metric }}_{{ method }}__max,
        {%- endfor %}
        count(*) as customer_count,
        as_of_date
    from normalised
    group by as_of_date

),

spread as (

    -- The same figures, one row per date, metric and method.
    {%- for metric, method in columns %}
    select
        as_of_date,
        '{{ metric }}' as metric_name,
        '{{ method }}' as normalisation,
        {{ metric }}__valued > 0 as has_value,
        {{ metric }}__valued < customer_count as has_missing,
        {{ metric }}_{{ method }}__min as min_value,
        {{ metric }}_{{ method }}__max as max_value
    from spread_wide
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}

),

directed as (

    select
        weights.scoring_profile,
        weights.is_default_profile,
        spread.as_of_date,
        weights.metric_name,
        weights.weight,
        weights.weight_share,
        weights.normalisation,
        weights.direction,
        spread.has_value,
        spread.has_missing,
        weights.value_if_missing,
        case
            when weights.direction = 'lower_is_better' then 1 - spread.max_value
            else spread.min_value
        end as lowest_value,
        case
            when weights.direction = 'lower_is_better' then 1 - spread.min_value
            else spread.max_value
        end as highest_value
    from weights
    inner join spread
        on weights.metric_name = spread.metric_name
        and weights.normalisation = spread.normalisation

),

informative as (

    select
        *,
        case
            when has_value and has_missing
                then {{ cbs_greatest(['highest_value', 'value_if_missing']) }}
                    > {{ cbs_least(['lowest_value', 'value_if_missing']) }}
            when has_value then highest_value > lowest_value
            else false
        end as is_informative
    from directed

),

profile_totals as (

    select
        scoring_profile,
        as_of_date,
        sum(case when is_informative then weight_share else 0 end) as informative_share
    from informative
    group by scoring_profile, as_of_date

),

final as (

    select
        informative.scoring_profile,
        informative.is_default_profile,
        informative.as_of_date,
        informative.metric_name,
        informative.weight as configured_weight,
        informative.weight_share,
        informative.normalisation,
        informative.direction,
        informative.value_if_missing,
        informative.is_informative,
        case
            when profile_totals.informative_share = 0 then informative.weight_share
            when informative.is_informative
                then informative.weight_share / profile_totals.informative_share
            else 0
        end as effective_weight
    from informative
    inner join profile_totals
        on informative.scoring_profile = profile_totals.scoring_profile
        and informative.as_of_date = profile_totals.as_of_date

)

select * from final
