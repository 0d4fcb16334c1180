-- A customer has at most one current version in the tier snapshot: a
-- duplicated key in its input (two records of one customer with the same
-- update time) must stop the build, never give a customer two current
-- tiers. Returns each customer with more than one current row. Disabled
-- with the snapshot on targets that cannot snapshot.

{{ config(enabled=cbs_can_snapshot()) }}

select
    customer_id,
    count(*) as current_rows
from {{ ref('customer_tier_snapshot') }}
where dbt_valid_to is null
group by customer_id
having count(*) > 1
