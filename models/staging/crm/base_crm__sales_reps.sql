-- Every raw sales rep row, cleaned and classified (see cbs_classify_rows).

with source as (

    {{ cbs_raw_source('crm', 'sales_reps') }}

),

cleaned as (

    select
        {{ cbs_clean_id('sales_rep_id') }} as sales_rep_id,
        {{ cbs_clean_text('full_name') }} as full_name,
        {{ cbs_normalise_email('email') }} as email,
        {{ cbs_to_number('experience_years') }} as experience_years,
        {{ cbs_to_number('capacity_accounts', 'integer') }} as capacity_accounts,
        {{ cbs_clean_text('region') }} as region,
        {{ cbs_clean_enum('is_active') }} as is_active_text,
        {{ cbs_is_unparseable('experience_years', cbs_to_number('experience_years')) }}
            as is_experience_unparseable,
        {{ cbs_is_unparseable('capacity_accounts', cbs_to_number('capacity_accounts', 'integer')) }}
            as is_capacity_unparseable,
        {{ cbs_raw_record('crm', 'sales_reps') }} as raw_record
    from source

),

checked as (

    select
        sales_rep_id,
        full_name,
        email,
        experience_years,
        capacity_accounts,
        region,
        -- A rep listed without a flag is taken as active.
        coalesce(is_active_text, 'true') in ('true', 't', 'yes', 'y', '1') as is_active,
        raw_record,
        case
            when sales_rep_id is null then 'missing sales_rep_id'
            when is_experience_unparseable then 'experience_years is not a number'
            when is_capacity_unparseable then 'capacity_accounts is not a whole number'
            when experience_years < 0 then 'negative experience_years'
            when capacity_accounts < 0 then 'negative capacity_accounts'
            when is_active_text not in ('true', 't', 'yes', 'y', '1', 'false', 'f', 'no', 'n', '0')
                then 'unknown is_active value: ' || is_active_text
        end as quarantine_reason
    from cleaned

),

classified as (

    {{ cbs_classify_rows('checked', ['sales_rep_id']) }}

)

select * from classified
