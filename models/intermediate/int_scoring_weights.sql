-- One row per scoring profile and metric in force: the weight seed after
-- its checks (cbs_assert_valid_weights stops the build on bad content),
-- with each weight's share of its profile's total.

{{ cbs_assert_valid_weights(ref('scoring_weights')) }}

with weights as (

    select
        scoring_profile,
        metric_name,
        cast(weight as double) as weight,
        normalisation,
        direction,
        cast(value_if_missing as double) as value_if_missing,
        description
    from {{ ref('scoring_weights') }}

),

shares as (

    select
        scoring_profile,
        metric_name,
        weight,
        weight / sum(weight) over (partition by scoring_profile) as weight_share,
        normalisation,
        direction,
        value_if_missing,
        scoring_profile = '{{ var("cbs_default_profile") }}' as is_default_profile,
        description
    from weights

)

select * from shares
