-- One row per kept product view with its customer where the visitor was
-- logged in; anonymous views have no key and stay unattributed.

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with views as (

    select * from {{ ref('stg_shop__product_views') }}

),

stitched as (

    {{ cbs_stitch_to_customers(
        'views',
        ['view_id', 'shop_account_id', 'session_id', 'product_id', 'viewed_at'],
        [['shop_account', 'shop_account_id']]
    ) }}

)

select * from stitched
