-- One row per CRM interaction (contact between the company and a customer).

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
