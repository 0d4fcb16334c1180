-- Every customer known on the as-of date has exactly one score per weight
-- profile, whatever metrics they lack (a customer with purchases but no
-- views or reviews still scores). Returns each profile whose row count
-- differs from the customer count, and any customer scored twice.

with customers as (

    select count(*) as customer_count from {{ ref('int_customer_metrics') }}

),

profiles as (

    select distinct scoring_profile from {{ ref('int_scoring_weights') }}

),

scored as (

    select
        scoring_profile,
        count(*) as score_rows,
        count(distinct customer_id) as scored_customers
    from {{ ref('customer_scores') }}
    group by scoring_profile

)

select
    profiles.scoring_profile,
    customers.customer_count,
    scored.score_rows,
    scored.scored_customers
from profiles
cross join customers
left join scored
    on profiles.scoring_profile = scored.scoring_profile
where customers.customer_count > 0
    and (
        scored.score_rows is null
        or scored.score_rows <> customers.customer_count
        or scored.scored_customers <> customers.customer_count
    )
