-- One row per CRM customer: the latest valid record of each customer_id.

with classified as (

    select * from {{ ref('base_crm__customers') }}

),

kept as (

    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        country,
        postcode,
        shop_account_id,
        social_handle,
        created_at,
        updated_at
    from classified
    where row_status = 'kept'

)

select * from kept
