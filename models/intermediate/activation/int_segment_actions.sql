-- One row per tier and lifecycle stage: the segment action seed after its
-- checks (cbs_assert_valid_segment_actions stops the build when a segment
-- has no action, is listed twice, or names an unknown tier, stage or
-- channel).

{{ cbs_assert_valid_segment_actions(ref('segment_actions'), ref('score_tiers')) }}

with actions as (

    select
        tier,
        lifecycle_stage,
        action,
        channel,
        description as action_description
    from {{ ref('segment_actions') }}

)

select * from actions
