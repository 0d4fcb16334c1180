-- The history holds the scores of this run exactly: every date scored now
-- has the same rows in customer_score_history as in customer_scores, no
-- more and no fewer (a date scored again is replaced, not added to).
-- Returns the rows found on one side only.

with scores as (

    select
        customer_id,
        scoring_profile,
        as_of_date,
        score,
        tier
    from {{ ref('customer_scores') }}

),

scoring_dates as (

    select as_of_date from {{ ref('int_scoring_dates') }}

),

history as (

    select
        history_rows.customer_id,
        history_rows.scoring_profile,
        history_rows.as_of_date,
        history_rows.score,
        history_rows.tier
    from {{ ref('customer_score_history') }} as history_rows
    inner join scoring_dates
        on history_rows.as_of_date = scoring_dates.as_of_date

),

only_in_scores as (

    select * from scores
    {{ dbt.except() }}
    select * from history

),

only_in_history as (

    select * from history
    {{ dbt.except() }}
    select * from scores

),

differences as (

    select
        'only in customer_scores' as found,
        *
    from only_in_scores
    union all
    select
        'only in customer_score_history' as found,
        *
    from only_in_history

)

select * from differences
