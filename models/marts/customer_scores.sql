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
        metric_name as top_metric
    from (
        select
            scoring_profile,
            customer_id,
            metric_name,
            contribution,
            row_number() over (
                partition by scoring_profile, customer_id
                order by contribution desc, metric_order
            ) as contribution_order
        from contributions
    ) as ordered
    where contribution_order = 1
        and contribution > 0

),

pivoted as (

    select
        contributions.customer_id,
        contributions.scoring_profile,
        contributions.as_of_date,
        contributions.is_default_profile,
        {%- for metric in cbs_scoring_metrics() %}
        max(case when contributions.metric_name = '{{ metric }}'
            then contributions.normalised_value end) as {{ metric }}_normalised,
        coalesce(max(case when contributions.metric_name = '{{ metric }}'
            then contributions.effective_weight end), 0) as {{ metric }}_weight,
        coalesce(max(case when contributions.metric_name = '{{ metric }}'
            then contributions.contribution end), 0) as {{ metric }}_contribution
        {{- "," if not loop.last }}
        {%- endfor %}
    from contributions
    group by
        contributions.customer_id,
        contributions.scoring_profile,
        contributions.as_of_date,
        contributions.is_default_profile

),

scored as (

    select
        pivoted.*,
        -- Summed in a fixed order and rounded, so equal inputs give equal
        -- scores on every run and every engine.
        round(least(greatest(
            {%- for metric in cbs_scoring_metrics() %}
            {{ metric }}_contribution{{ " +" if not loop.last }}
            {%- endfor %}
        , 0), 100), 4) as score
    from pivoted

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
    left join tiers
        on scored.score >= tiers.lower_bound
        and (scored.score < tiers.upper_bound or tiers.upper_bound = 100)
    left join top_metric
        on scored.scoring_profile = top_metric.scoring_profile
        and scored.customer_id = top_metric.customer_id

)

select * from final
