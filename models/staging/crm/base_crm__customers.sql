-- Every raw CRM customer row, cleaned, with its fate: kept, duplicate or
-- quarantined (and why). stg_crm__customers keeps the kept rows.

with source as (

    {{ cbs_raw_source('crm', 'customers') }}

),

cleaned as (

    select
        {{ cbs_clean_id('customer_id') }} as customer_id,
        {{ cbs_clean_text('first_name') }} as first_name,
        {{ cbs_clean_text('last_name') }} as last_name,
        {{ cbs_normalise_email('email') }} as email,
        {{ cbs_normalise_phone('phone') }} as phone,
        {{ cbs_to_date(cbs_clean_text('birth_date')) }} as birth_date,
        {{ cbs_clean_text('country') }} as country,
        {{ cbs_clean_text('postcode') }} as postcode,
        {{ cbs_clean_id('shop_account_id') }} as shop_account_id,
        {{ cbs_normalise_handle('social_handle') }} as social_handle,
        {{ cbs_to_utc_timestamp(cbs_clean_text('created_at')) }} as created_at,
        {{ cbs_to_utc_timestamp(cbs_clean_text('updated_at')) }} as updated_at,
        {{ cbs_raw_record('crm', 'customers') }} as raw_record
    from source

),

checked as (

    select
        customer_id,
        first_name,
        last_name,
        email,
        phone,
        -- An impossible birth date is dropped, not the customer.
        case
            when birth_date between date '1900-01-01' and current_date
                then birth_date
        end as birth_date,
        country,
        postcode,
        shop_account_id,
        social_handle,
        -- A creation or change time in the future is dirt: unknown, so it
        -- neither hides the customer nor wins the choice between records.
        case when created_at <= {{ dbt.current_timestamp() }} then created_at end as created_at,
        case when updated_at <= {{ dbt.current_timestamp() }} then updated_at end as updated_at,
        raw_record,
        case
            when customer_id is null then 'missing customer_id'
        end as quarantine_reason
    from cleaned

),

classified as (

    {{ cbs_classify_rows(
        'checked',
        ['customer_id'],
        latest_first='coalesce(updated_at, created_at) desc nulls last'
    ) }}

)

select * from classified
