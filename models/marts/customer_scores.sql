-- One row per customer, scoring profile and as-of date: the Customer
-- Behavior Score (0..100), its tier and rank, and for every metric the raw
-- value, the normalised value, the weight in force and the contribution in
-- score points, so anyone can see why a customer scored as they did.

{%- set contribution_columns = [] %}
{%- for metric in cbs_scoring_metrics() %}
{%- do contribution_columns.append(metric ~ '_contribution') %}
{%- endfor %}

with normalised as (

    select * from {{ ref('int_customer_metrics_normalised') }}

),

weights as (

    select * from {{ ref('int_scoring_weights_in_force') }}

),

tiers as (

    -- The top tier holds 100 itself: its upper end is moved past every
    -- score, so a score falls in [lower_bound, upper_end) of one tier and
    -- the join is a plain range join (an "or" in the condition made the
    -- engine test every score against every tier, a third of the model's
    -- time at a hundred million events).
    select
        tier_name,
        tier_rank,
        lower_bound,
        case when upper_bound = 100 then 101 else upper_bound end as upper_end
    from {{ ref('int_score_tiers') }}

),

metrics as (

    select * from {{ ref('int_customer_metrics') }}

),

profile_weights as (

    -- One row per profile and date, the rule for each metric side by side;
    -- a metric the profile does not weight has no normalisation here.
    select
        scoring_profile,
        as_of_date,
        is_default_profile,
        {%- for metric in cbs_scoring_metrics() %}
        {%- set when_metric = "when metric_name = '" ~ metric ~ "' then " %}
        max(case {{ when_metric }}normalisation end) as {{ metric }}__normalisation,
        max(case {{ when_metric }}direction end) as {{ metric }}__direction,
        max(case {{ when_metric }}value_if_missing end) as {{ metric }}__value_if_missing,
        coalesce(max(case {{ when_metric }}effective_weight end), 0) as {{ metric }}_weight
        {{- "," if not loop.last }}
        {%- endfor %}
    from weights
    group by scoring_profile, as_of_date, is_default_profile

),

directed as (

    -- Each metric as the profile sees it: its method's normalised value,
    -- flipped when lower is better, value_if_missing when the customer has
    -- none; NULL when the profile does not weight it.
    select
        normalised.customer_id,
        profile_weights.scoring_profile,
        profile_weights.as_of_date,
        profile_weights.is_default_profile,
        {%- for metric in cbs_scoring_metrics() %}
        {%- set rule = "profile_weights." ~ metric ~ "__" %}
        {%- set picked %}case {{ rule }}normalisation
                {%- for method in cbs_normalisation_methods() %}
                when '{{ method }}' then normalised.{{ metric }}_{{ method }}
                {%- endfor %}
            end{% endset %}
        case
            when {{ rule }}normalisation is null then null
            -- A value is missing under every method or none: the rank column
            -- stands for all three.
            when normalised.{{ metric }}_rank is null then {{ rule }}value_if_missing
            when {{ rule }}direction = 'lower_is_better' then 1 - {{ picked }}
            else {{ picked }}
        end as {{ metric }}_normalised,
        profile_weights.{{ metric }}_weight
        {{- "," if not loop.last }}
        {%- endfor %}
    from normalised
    inner join profile_weights
        on normalised.as_of_date = profile_weights.as_of_date

),

contributed as (

    select
        *,
        {%- for metric in cbs_scoring_metrics() %}
        coalesce(100 * {{ metric }}_normalised * {{ metric }}_weight, 0)
            as {{ metric }}_contribution
            {{- "," if not loop.last }}
        {%- endfor %}
    from directed

),

summed as (

    select
        *,
        -- Added in a fixed order, so equal inputs give equal totals on
        -- every run and every engine.
        (
            {%- for metric in cbs_scoring_metrics() %}
            {{ "+ " if not loop.first }}{{ metric }}_contribution
            {%- endfor %}
        ) as contribution_total,
        {{ cbs_greatest(contribution_columns) }} as largest_contribution
    from contributed

),

scored as (

    select
        *,
        -- Rounded, so float noise never splits equal scores.
        round(least(greatest(contribution_total, 0), 100), 4) as score,
        -- The metric that contributed most; on a tie the first in the fixed
        -- metric order (cbs_scoring_metrics); none when nothing contributed.
        case
            {%- for metric in cbs_scoring_metrics() %}
            when {{ metric }}_contribution > 0
                and {{ metric }}_contribution = largest_contribution
                then '{{ metric }}'
            {%- endfor %}
        end as top_metric
    from summed

),

score_ranks as (

    -- rank() by score, descending, as 1 + the customers with a higher
    -- score: counted over the distinct scores (4 decimals, so far fewer
    -- than customers) instead of a window over every customer's row with
    -- all its columns, which took most of the model's time.
    select
        scoring_profile,
        as_of_date,
        score,
        cast(1 + coalesce(sum(customers) over (
            partition by scoring_profile, as_of_date
            order by score desc
            rows between unbounded preceding and 1 preceding
        ), 0) as integer) as score_rank
    from (
        select
            scoring_profile,
            as_of_date,
            score,
            count(*) as customers
        from scored
        group by scoring_profile, as_of_date, score
    ) as score_counts

),

final as (

    select
        scored.customer_id,
        scored.scoring_profile,
        scored.as_of_date,
        scored.is_default_profile,
        cast(scored.score as double) as score,
        tiers.tier_name as tier,
        tiers.tier_rank,
        score_ranks.score_rank,
        scored.top_metric,
        {%- for metric in cbs_scoring_metrics() %}
        metrics.{{ metric }} as {{ metric }}_value,
        cast(scored.{{ metric }}_normalised as double) as {{ metric }}_normalised,
        cast(scored.{{ metric }}_weight as double) as {{ metric }}_weight,
        cast(scored.{{ metric }}_contribution as double) as {{ metric }}_contribution,
        {%- endfor %}
        metrics.base_currency
    from scored
    inner join metrics
        on scored.customer_id = metrics.customer_id
        and scored.as_of_date = metrics.as_of_date
    inner join score_ranks
        on scored.scoring_profile = score_ranks.scoring_profile
        and scored.as_of_date = score_ranks.as_of_date
        and scored.score = score_ranks.score
    left join tiers
        on scored.score >= tiers.lower_bound
        and scored.score < tiers.upper_end

)

select * from final
