-- One row per top account on the newest date of the run: the sales rep it
-- is assigned to, or NULL with the reason when no rep has room left.
-- Nothing is dropped: assigned + unassigned = top accounts.
--
-- Top accounts: default-profile customers whose tier_rank is at most var
-- cbs_sales_max_tier_rank, and only the first var cbs_sales_top_accounts
-- of them when that var is set.
--
-- Rule, deterministic: accounts are numbered in score order (highest
-- first, ties by customer_id); reps are ordered by experience (most years
-- first, missing experience last, ties by sales_rep_id) and filled one
-- after the other, each taking as many of the next accounts as its
-- capacity allows. So the best accounts go to the most experienced rep,
-- which is what the sales team asks for; a round-robin would hand the
-- second-best account to the least experienced rep.
--
-- Reps left out: inactive ones and those with no room (capacity 0 or
-- missing; staging reads a missing capacity as 0 and quarantines a
-- negative one).

{%- set max_tier_rank = cbs_number_var('cbs_sales_max_tier_rank', minimum=1, integer=true) %}
{%- set top_accounts = cbs_number_var(
    'cbs_sales_top_accounts', minimum=1, allow_empty=true, integer=true
) %}

with newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

reps as (

    select * from {{ ref('stg_crm__sales_reps') }}

),

top_tier_scores as (

    select
        customer_id,
        as_of_date,
        score,
        tier,
        tier_rank
    from newest_scores
    where tier_rank <= {{ max_tier_rank }}

),

numbered_accounts as (

    select
        *,
        row_number() over (
            order by score desc, customer_id asc
        ) as account_rank
    from top_tier_scores

),

top_accounts as (

    select * from numbered_accounts
    {%- if top_accounts is not none %}
    where account_rank <= {{ top_accounts }}
    {%- endif %}

),

eligible_reps as (

    select
        sales_rep_id,
        full_name,
        region,
        experience_years,
        capacity_accounts
    from reps
    where is_active
        and capacity_accounts > 0

),

ordered_reps as (

    select
        *,
        row_number() over (
            order by
                case when experience_years is null then 1 else 0 end,
                experience_years desc,
                sales_rep_id asc
        ) as rep_order
    from eligible_reps

),

rep_slots as (

    -- Each rep takes the accounts numbered (slot_start, slot_end].
    select
        *,
        sum(capacity_accounts) over (
            order by rep_order
            rows between unbounded preceding and current row
        ) - capacity_accounts as slot_start,
        sum(capacity_accounts) over (
            order by rep_order
            rows between unbounded preceding and current row
        ) as slot_end
    from ordered_reps

),

rep_count as (

    select count(*) as eligible_reps from eligible_reps

),

account_reps as (

    -- The rep of an account numbered r is the first whose slot_end >= r,
    -- so its rep_order is 1 + the reps whose slots end before r. Counted
    -- by running through accounts and slot ends in one order (at an equal
    -- position the account first): a sort of both lists instead of
    -- testing every account against every rep's range.
    select
        customer_id,
        rep_order
    from (
        select
            customer_id,
            1 + sum(is_slot_end) over (
                order by position_number, is_slot_end
                rows between unbounded preceding and current row
            ) as rep_order
        from (
            select
                customer_id,
                account_rank as position_number,
                0 as is_slot_end
            from top_accounts
            union all
            select
                null as customer_id,
                slot_end as position_number,
                1 as is_slot_end
            from rep_slots
        ) as positions
    ) as counted
    where customer_id is not null

),

assigned as (

    select
        top_accounts.customer_id,
        top_accounts.as_of_date,
        cast(top_accounts.score as double) as score,
        top_accounts.tier,
        top_accounts.tier_rank,
        cast(top_accounts.account_rank as integer) as account_rank,
        case
            when rep_slots.sales_rep_id is not null then 'assigned'
            else 'unassigned'
        end as assignment_status,
        case
            when rep_slots.sales_rep_id is not null then null
            when rep_count.eligible_reps = 0 then 'no_active_rep_with_capacity'
            else 'capacity_exhausted'
        end as unassigned_reason,
        rep_slots.sales_rep_id,
        rep_slots.full_name as sales_rep_name,
        rep_slots.region as sales_rep_region,
        cast(rep_slots.experience_years as double) as sales_rep_experience_years,
        cast(rep_slots.rep_order as integer) as sales_rep_order,
        cast(
            top_accounts.account_rank - rep_slots.slot_start as integer
        ) as rep_account_number
    from top_accounts
    cross join rep_count
    inner join account_reps
        on top_accounts.customer_id = account_reps.customer_id
    left join rep_slots
        on account_reps.rep_order = rep_slots.rep_order

)

select * from assigned
