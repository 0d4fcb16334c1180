-- One row per scoring profile, pair of consecutive scoring dates in the
-- history, tier on the earlier date and tier on the later date: how many
-- customers made that move and what share of the earlier tier they are.
-- Only customers scored on both dates count, so the shares of a from-tier
-- add up to 1; customers first scored on the later date (new) or no
-- longer scored are left out.
--
-- Incremental: a run replaces the transitions that end on its earliest
-- scoring date or later, reading the history from the date before it
-- (cbs_history_rewrite_start), so a daily run reads a few dates, not the
-- whole history, and gives the rows of a rebuild. On Spark a table
-- rebuilt from the whole history (it cannot delete rows from Parquet).

-- depends_on: {{ ref('int_scoring_dates') }}
-- depends_on: {{ ref('int_history_tier_sizes') }}

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    on_schema_change='append_new_columns',
    unique_key=['scoring_profile', 'from_as_of_date', 'to_as_of_date', 'from_tier', 'to_tier'],
    pre_hook="{% if is_incremental() %}delete from {{ this }} where to_as_of_date >= "
        ~ "{{ cbs_history_rewrite_start() }}{% endif %}",
) }}

with history as (

    select * from {{ ref('customer_score_history') }}
    {%- if is_incremental() %}
    where as_of_date >= {{ cbs_history_rewrite_start(1) }}
    {%- endif %}

),

scoring_dates as (

    select distinct
        scoring_profile,
        as_of_date
    from history

),

transitions as (

    select
        scoring_profile,
        from_as_of_date,
        to_as_of_date
    from (
        select
            scoring_profile,
            as_of_date as from_as_of_date,
            lead(as_of_date) over (
                partition by scoring_profile
                order by as_of_date
            ) as to_as_of_date
        from scoring_dates
    ) as paired
    {%- if is_incremental() %}
    where to_as_of_date >= {{ cbs_history_rewrite_start() }}
    {%- else %}
    where to_as_of_date is not null
    {%- endif %}

),

moves as (

    select
        transitions.scoring_profile,
        transitions.from_as_of_date,
        transitions.to_as_of_date,
        from_scores.tier as from_tier,
        from_scores.tier_rank as from_tier_rank,
        to_scores.tier as to_tier,
        to_scores.tier_rank as to_tier_rank,
        count(*) as customers
    from transitions
    inner join history as from_scores
        on transitions.scoring_profile = from_scores.scoring_profile
        and transitions.from_as_of_date = from_scores.as_of_date
    inner join history as to_scores
        on from_scores.scoring_profile = to_scores.scoring_profile
        and from_scores.customer_id = to_scores.customer_id
        and transitions.to_as_of_date = to_scores.as_of_date
    group by
        transitions.scoring_profile,
        transitions.from_as_of_date,
        transitions.to_as_of_date,
        from_scores.tier,
        from_scores.tier_rank,
        to_scores.tier,
        to_scores.tier_rank

),

final as (

    select
        scoring_profile,
        from_as_of_date,
        to_as_of_date,
        from_tier,
        from_tier_rank,
        to_tier,
        to_tier_rank,
        cast(customers as integer) as customers,
        cast(sum(customers) over (
            partition by scoring_profile, from_as_of_date, from_tier
        ) as integer) as from_tier_customers,
        cast(customers as double) / sum(customers) over (
            partition by scoring_profile, from_as_of_date, from_tier
        ) as share_of_from_tier
    from moves

)

select * from final
