-- One row per kept social engagement with the customer whose CRM record
-- holds the same handle.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with engagements as (

    select * from {{ ref('stg_social__engagements') }}

),

stitched as (

    {{ cbs_stitch_to_customers(
        'engagements',
        ['engagement_id', 'platform', 'social_handle', 'engagement_type', 'occurred_at'],
        [['social_handle', 'social_handle']]
    ) }}

)

select * from stitched
