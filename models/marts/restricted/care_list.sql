-- One row per customer and care occasion falling in the next
-- var cbs_care_window_days days after the newest as-of date of the run
-- (the as-of day itself excluded): high-tier customers (tier_rank at most
-- var cbs_care_max_tier_rank, default profile) with their birthday or a
-- holiday of seed care_occasions, and what to send.
--
-- Birthdays: a 29 February birthday falls on 28 February in a year without
-- one. The window may run into the next year (December into January); each
-- day of the window is matched on its own month and day, so the wrap needs
-- no special case.
--
-- RESTRICTED: holds names, e-mail addresses and birth dates. It lives in
-- schema restricted, is tagged restricted (meta access: restricted) and no
-- BI exposure reads it.

{%- set window_days = cbs_number_var('cbs_care_window_days', minimum=1, integer=true) %}
{%- set max_tier_rank = cbs_number_var('cbs_care_max_tier_rank', minimum=1, integer=true) %}

with newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

customers as (

    select * from {{ ref('stg_crm__customers') }}

),

occasions as (

    select * from {{ ref('int_care_occasions') }}

),

care_customers as (

    select
        newest_scores.customer_id,
        newest_scores.as_of_date,
        newest_scores.score,
        newest_scores.tier,
        customers.first_name,
        customers.last_name,
        customers.email,
        customers.birth_date
    from newest_scores
    inner join customers
        on newest_scores.customer_id = customers.customer_id
    where newest_scores.tier_rank <= {{ max_tier_rank }}

),

day_offsets as (

    select cast(generated_number as integer) as days_until
    from ({{ dbt.generate_series(window_days) }}) as series

),

window_days as (

    select distinct
        care_customers.as_of_date,
        day_offsets.days_until,
        cast({{ dbt.dateadd(
            'day', 'day_offsets.days_until', 'care_customers.as_of_date'
        ) }} as date) as occasion_date
    from care_customers
    cross join day_offsets

),

birthdays as (

    select
        care_customers.customer_id,
        occasions.occasion_name,
        window_days.occasion_date,
        window_days.days_until,
        occasions.what_to_send,
        cast(
            {{ cbs_date_part('year', 'window_days.occasion_date') }}
            - {{ cbs_date_part('year', 'care_customers.birth_date') }}
            as integer
        ) as turning_age
    from care_customers
    inner join occasions
        on occasions.is_birthday = true
    inner join window_days
        on care_customers.as_of_date = window_days.as_of_date
        and care_customers.birth_date < window_days.occasion_date
        and {{ cbs_matches_day_of_year(
            cbs_date_part('month', 'care_customers.birth_date'),
            cbs_date_part('day', 'care_customers.birth_date'),
            'window_days.occasion_date'
        ) }}

),

holidays as (

    select
        care_customers.customer_id,
        occasions.occasion_name,
        window_days.occasion_date,
        window_days.days_until,
        occasions.what_to_send,
        cast(null as integer) as turning_age
    from care_customers
    inner join occasions
        on occasions.is_birthday = false
    inner join window_days
        on care_customers.as_of_date = window_days.as_of_date
        and {{ cbs_matches_day_of_year(
            'occasions.occasion_month',
            'occasions.occasion_day',
            'window_days.occasion_date'
        ) }}

),

occasions_due as (

    select * from birthdays
    union all
    select * from holidays

),

final as (

    select
        occasions_due.customer_id,
        occasions_due.occasion_name,
        occasions_due.occasion_date,
        care_customers.as_of_date,
        cast(occasions_due.days_until as integer) as days_until,
        occasions_due.what_to_send,
        care_customers.first_name,
        care_customers.last_name,
        care_customers.email,
        care_customers.birth_date,
        occasions_due.turning_age,
        cast(care_customers.score as double) as score,
        care_customers.tier
    from occasions_due
    inner join care_customers
        on occasions_due.customer_id = care_customers.customer_id

)

select * from final
