-- One row per care occasion: the care occasion seed after its checks
-- (cbs_assert_valid_care_occasions stops the build on a duplicate name, a
-- day that does not exist or nothing to send).

{{ cbs_assert_valid_care_occasions(ref('care_occasions')) }}

with occasions as (

    select
        occasion_name,
        cast(month as integer) as occasion_month,
        cast(day as integer) as occasion_day,
        occasion_name = 'birthday' as is_birthday,
        what_to_send
    from {{ ref('care_occasions') }}

)

select * from occasions
