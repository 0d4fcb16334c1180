-- Every customer known on an as-of date has exactly one score per weight
-- profile for that date, whatever metrics they lack (a customer with
-- purchases but no views or reviews still scores). Returns each profile
-- and date whose row count differs from the customer count, and any
-- customer scored twice.

with customers as (

    select
        as_of_date,
        count(*) as customer_count
    from {{ ref('int_customer_metrics') }}
    group by as_of_date

),

profiles as (

    select distinct scoring_profile from {{ ref('int_scoring_weights') }}

),

scored as (

    select
        scoring_profile,
        as_of_date,
        count(*) as score_rows,
        count(distinct customer_id) as scored_customers
    from {{ ref('customer_scores') }}
    group by scoring_profile, as_of_date

)

select
    profiles.scoring_profile,
    customers.as_of_date,
    customers.customer_count,
    scored.score_rows,
    scored.scored_customers
from profiles
cross join customers
left join scored
    on profiles.scoring_profile = scored.scoring_profile
    and customers.as_of_date = scored.as_of_date
where scored.score_rows is null
    or scored.score_rows <> customers.customer_count
    or scored.scored_customers <> customers.customer_count
