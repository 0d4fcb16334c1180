-- One row per customer, scoring profile and as-of date: the Customer
-- Behavior Score (0..100), its tier and rank, and for every metric the raw
-- value, the normalised value, the weight in force and the contribution in
-- score points, so anyone can see why a customer scored as they did.

with contributions as (

    select * from {{ ref('int_customer_metric_contributions') }}

),

tiers as (

    select * from {{ ref('int_score_tiers') }}

),

metrics as (

    select * from {{ ref('int_customer_metrics') }}

),

top_metric as (

    select
        scoring_profile,
        customer_id,
        as_of_date,
        metric_name as top_metric
    from (
        select
            scoring_profile,
            customer_id,
            as_of_date,
            metric_name,
            contribution,
            row_number() over (
                partition by scoring_profile, customer_id, as_of_date
                order by contribution desc, metric_order asc
            ) as contribution_order
        from contributions
    ) as ordered
    where contribution_order = 1
        and contribution > 0

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
        ) as contribution_total
    from pivoted

),

scored as (

    select
        *,
        -- Rounded, so float noise never splits equal scores.
        round(least(greatest(contribution_total, 0), 100), 4) as score
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
        top_metric.top_metric,
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
    left join top_metric
        on scored.scoring_profile = top_metric.scoring_profile
        and scored.customer_id = top_metric.customer_id
        and scored.as_of_date = top_metric.as_of_date

)

select * from final
