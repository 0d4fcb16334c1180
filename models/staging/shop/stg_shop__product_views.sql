-- One row per product page view; anonymous views keep only their session.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_shop__product_views') }}

),

kept as (

    select
        view_id,
        shop_account_id,
        session_id,
        product_id,
        viewed_at
    from classified
    where row_status = 'kept'

)

select * from kept
