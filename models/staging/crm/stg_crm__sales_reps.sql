-- One row per sales rep.

with classified as (

    select * from {{ ref('base_crm__sales_reps') }}

),

kept as (

    select
        sales_rep_id,
        full_name,
        email,
        experience_years,
        coalesce(capacity_accounts, 0) as capacity_accounts,
        region,
        is_active
    from classified
    where row_status = 'kept'

)

select * from kept
