-- One row per kept CRM interaction with its customer, when that customer
-- exists in the CRM (orphans are kept here and counted as unmatched).

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with interactions as (

    select
        interaction_id,
        customer_id as logged_customer_id,
        channel,
        direction,
        occurred_at,
        sales_rep_id
    from {{ ref('stg_crm__interactions') }}

),

stitched as (

    {{ cbs_stitch_to_customers(
        'interactions',
        ['interaction_id', 'logged_customer_id', 'channel', 'direction', 'occurred_at',
         'sales_rep_id'],
        [['customer_id', 'logged_customer_id']]
    ) }}

)

select * from stitched
