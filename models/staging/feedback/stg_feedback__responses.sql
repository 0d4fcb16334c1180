-- One row per review, rating or survey answer.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_feedback__responses') }}

),

kept as (

    select
        feedback_id,
        customer_id,
        email,
        phone,
        feedback_type,
        product_id,
        rating,
        body,
        submitted_at
    from classified
    where row_status = 'kept'

)

select * from kept
