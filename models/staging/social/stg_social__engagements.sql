-- One row per social engagement (like, comment, share or mention).

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_social__engagements') }}

),

kept as (

    select
        engagement_id,
        platform,
        social_handle,
        engagement_type,
        occurred_at
    from classified
    where row_status = 'kept'

)

select * from kept
