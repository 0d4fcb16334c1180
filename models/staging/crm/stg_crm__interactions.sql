-- One row per CRM interaction (contact between the company and a customer).

-- A view over the incremental event staging, so a run copies nothing.
{{ config(materialized='view') }}

with classified as (

    select * from {{ ref('base_crm__interactions') }}

),

kept as (

    select
        interaction_id,
        customer_id,
        channel,
        direction,
        occurred_at,
        sales_rep_id
    from classified
    where row_status = 'kept'

)

select * from kept
