-- Sales assignments keep every top account and respect the reps: the mart
-- holds exactly the default-profile customers of the newest as-of date
-- whose tier_rank is at most var cbs_sales_max_tier_rank (capped by var
-- cbs_sales_top_accounts when set); an account has a rep exactly when it
-- is assigned; every rep holding accounts is active and within capacity;
-- and accounts wait unassigned only when the eligible reps are full.
-- Returns one row per broken rule.

{%- set max_tier_rank = cbs_number_var('cbs_sales_max_tier_rank', minimum=1, integer=true) %}
{%- set top_accounts = cbs_number_var(
    'cbs_sales_top_accounts', minimum=1, allow_empty=true, integer=true
) %}

with newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

assignments as (

    select * from {{ ref('sales_assignments') }}

),

reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

candidate_accounts as (

    select count(*) as candidate_count
    from newest_scores
    where tier_rank <= {{ max_tier_rank }}

),

expected_accounts as (

    select
        {{ "least(candidate_count, " ~ top_accounts ~ ")"
            if top_accounts is not none else "candidate_count" }} as expected_count
    from candidate_accounts

),

status_counts as (

    select
        count(*) as account_count,
        coalesce(sum(
            case when assignment_status = 'assigned' then 1 else 0 end
        ), 0) as assigned_count,
        coalesce(sum(
            case when assignment_status = 'unassigned' then 1 else 0 end
        ), 0) as unassigned_count
    from assignments

),

free_capacity as (

    select coalesce(sum(capacity_accounts), 0) as capacity_total
    from reps
    where is_active
        and capacity_accounts > 0

),

rep_loads as (

    select
        assignments.sales_rep_id,
        count(*) as account_count,
        max(reps.capacity_accounts) as capacity_accounts,
        min(case when reps.is_active then 1 else 0 end) as is_active_flag
    from assignments
    left join reps
        on assignments.sales_rep_id = reps.sales_rep_id
    where assignments.sales_rep_id is not null
    group by assignments.sales_rep_id

),

wrong_count as (

    select 'top accounts missing or extra' as broken_rule
    from status_counts
    cross join expected_accounts
    where status_counts.account_count <> expected_accounts.expected_count
        or status_counts.account_count
        <> status_counts.assigned_count + status_counts.unassigned_count

),

wrong_status as (

    select 'status and rep disagree: ' || customer_id as broken_rule
    from assignments
    where (assignment_status = 'assigned')
        <> (sales_rep_id is not null and unassigned_reason is null)

),

wrong_rep as (

    select 'rep over capacity or inactive: ' || sales_rep_id as broken_rule
    from rep_loads
    where account_count > coalesce(capacity_accounts, 0)
        or is_active_flag = 0

),

waiting_with_room as (

    select 'accounts wait while reps have room' as broken_rule
    from status_counts
    cross join free_capacity
    where status_counts.unassigned_count > 0
        and status_counts.assigned_count < free_capacity.capacity_total

),

problems as (

    select broken_rule from wrong_count
    union all
    select broken_rule from wrong_status
    union all
    select broken_rule from wrong_rep
    union all
    select broken_rule from waiting_with_room

)

select * from problems
