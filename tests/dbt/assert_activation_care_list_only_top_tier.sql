-- The care list holds only customers of the care tiers (tier_rank at most
-- var cbs_care_max_tier_rank on the newest as-of date, default profile),
-- only occasions inside the window (1 to var cbs_care_window_days days after
-- the as-of date), and only birthdays that are the customer's birthday
-- (same month and day, or 28 February for a 29 February birthday in a
-- year without one). Returns every row that breaks one of these.

{%- set max_tier_rank = cbs_number_var('cbs_care_max_tier_rank', minimum=1, integer=true) %}
{%- set window_days = cbs_number_var('cbs_care_window_days', minimum=1, integer=true) %}

with care_list as (

    select * from {{ ref('care_list') }}

),

newest_scores as (

    select * from {{ ref('int_customer_scores_newest') }}

),

problems as (

    select care_list.*
    from care_list
    left join newest_scores
        on care_list.customer_id = newest_scores.customer_id
    where newest_scores.tier_rank is null
        or newest_scores.tier_rank > {{ max_tier_rank }}
        or care_list.days_until < 1
        or care_list.days_until > {{ window_days }}
        or care_list.occasion_date
        <> cast({{ dbt.dateadd('day', 'care_list.days_until', 'care_list.as_of_date') }} as date)
        or (
            care_list.occasion_name = 'birthday'
            and not {{ cbs_matches_day_of_year(
                cbs_date_part('month', 'care_list.birth_date'),
                cbs_date_part('day', 'care_list.birth_date'),
                'care_list.occasion_date'
            ) }}
        )

)

select * from problems
