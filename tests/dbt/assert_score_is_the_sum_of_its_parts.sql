-- A score explains itself: its metric contributions add up to it (up to
-- the 4-decimal rounding of the score) and its weights in force add up to
-- 1. Returns every row where either fails.

with scores as (

    select
        customer_id,
        scoring_profile,
        score,
        {%- for metric in cbs_scoring_metrics() %}
        {{ metric }}_contribution{{ " +" if not loop.last }}
        {%- endfor %} as contribution_total,
        {%- for metric in cbs_scoring_metrics() %}
        {{ metric }}_weight{{ " +" if not loop.last }}
        {%- endfor %} as weight_total
    from {{ ref('customer_scores') }}

)

select *
from scores
where abs(score - contribution_total) > 0.0001
    or abs(weight_total - 1) > 0.000001
