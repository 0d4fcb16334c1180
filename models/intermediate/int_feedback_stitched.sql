-- One row per kept feedback with its customer, matched by the logged-in
-- customer id, then e-mail, then phone.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with feedback as (

    select
        feedback_id,
        customer_id as given_customer_id,
        email,
        phone,
        feedback_type,
        product_id,
        rating,
        body,
        submitted_at
    from {{ ref('stg_feedback__responses') }}

),

stitched as (

    {{ cbs_stitch_to_customers(
        'feedback',
        ['feedback_id', 'given_customer_id', 'email', 'phone', 'feedback_type', 'product_id',
         'rating', 'body', 'submitted_at'],
        [['customer_id', 'given_customer_id'], ['email', 'email'], ['phone', 'phone']]
    ) }}

)

select * from stitched
