-- One row per identity key (key type, normalised value) held by CRM
-- customers, with its holder. A key that several customers share (a family
-- e-mail, a shared phone) has no holder and is flagged ambiguous: it never
-- matches, since it cannot say whose activity it is.

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

    -- stg_crm__customers holds one row per customer_id and each customer
    -- gives a key type once, so the rows of a key are its distinct
    -- holders: count(*) counts them without count(distinct)'s cost.
    select
        key_type,
        key_value,
        -- The one holder of the key; NULL when several customers share it.
        case when count(*) = 1 then min(customer_id) end as customer_id,
        count(*) > 1 as is_ambiguous,
        count(*) as holder_count
    from keys
    where key_value is not null
    group by key_type, key_value

)

select * from counted
