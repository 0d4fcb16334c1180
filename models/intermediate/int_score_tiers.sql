-- One row per tier: the tier seed after its checks (cbs_assert_valid_tiers
-- stops the build when tiers gap, overlap or leave 0..100 uncovered).

{{ cbs_assert_valid_tiers(ref('score_tiers')) }}

with tiers as (

    select
        tier_name,
        cast(tier_rank as integer) as tier_rank,
        cast(lower_bound as double) as lower_bound,
        cast(upper_bound as double) as upper_bound
    from {{ ref('score_tiers') }}

)

select * from tiers
