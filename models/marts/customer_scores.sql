-- One row per customer, scoring profile and as-of date: the Customer
-- Behavior Score (0..100), its tier and rank, and for every metric the raw
-- value, the normalised value, the weight in force and the contribution in
-- score points, so anyone can see why a customer scored as they did.

{%- set contribution_columns = [] %}
{%- for metric in cbs_scoring_metrics() %}
{%- do contribution_columns.append(metric ~ '_contribution') %}
{%- endfor %}

with contributions as (

    select * from {{ ref('int_customer_metric_contributions') }}

),

tiers as (

    select * from {{ ref('int_score_tiers') }}

),

metrics as (

    select * from {{ ref('int_customer_metrics') }}

),

pivoted as (

    select
        {%- for metric in cbs_scoring_metrics() %}
        max(
            case when metric_name = '{{ metric }}' then normalised_value end
        ) as {{ metric }}_normalised,
        coalesce(max(
            case when metric_name = '{{ metric }}' then effective_weight end
        ), 0) as {{ metric }}_weight,
        coalesce(max(
            case when metric_name = '{{ metric }}' then contribution end
        ), 0) as {{ metric }}_contribution,
        {%- endfor %}
        customer_id,
        scoring_profile,
        as_of_date,
        is_default_profile
    from contributions
    group by
        customer_id,
        scoring_profile,
        as_of_date,
        is_default_profile

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
    from pivoted

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

final as (

    select
        scored.customer_id,
        scored.scoring_profile,
        scored.as_of_date,
        scored.is_default_profile,
        cast(scored.score as double) as score,
        tiers.tier_name as tier,
        tiers.tier_rank,
        cast(rank() over (
            partition by scored.scoring_profile, scored.as_of_date
            order by scored.score desc
        ) as integer) as score_rank,
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
    left join tiers
        on scored.score >= tiers.lower_bound
        and (scored.score < tiers.upper_bound or tiers.upper_bound = 100)

)

select * from final
