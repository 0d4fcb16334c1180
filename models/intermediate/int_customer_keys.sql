-- One row per identity key of a CRM customer (key type, normalised value),
-- flagged when the same key belongs to more than one customer: such a key
-- never matches, since it cannot say whose activity it is.

with customers as (

    select * from {{ ref('stg_crm__customers') }}

),

keys as (

    select
        'customer_id' as key_type,
        customer_id as key_value,
        customer_id
    from customers

    union all

    select
        'shop_account' as key_type,
        shop_account_id as key_value,
        customer_id
    from customers

    union all

    select
        'email' as key_type,
        email as key_value,
        customer_id
    from customers

    union all

    select
        'phone' as key_type,
        phone as key_value,
        customer_id
    from customers

    union all

    select
        'social_handle' as key_type,
        social_handle as key_value,
        customer_id
    from customers

),

counted as (

    select
        key_type,
        key_value,
        customer_id,
        count(*) over (partition by key_type, key_value) > 1 as is_ambiguous
    from keys
    where key_value is not null

)

select * from counted
