-- One row per date scored in this run, with the window of activity that
-- counts for it. The dates are var cbs_as_of_dates (a list, for backfills),
-- else var cbs_as_of_date, else the day of the latest valid activity in
-- the data, so the same data always scores the same date.
--
-- Late-arriving activity: besides its own dates, a run scores again every
-- date already in customer_score_history that lies within var
-- cbs_history_lookback_days before the newest date of the run, so an event
-- that arrives after its day was scored reaches that day on the next run.
-- The history table is read without ref() (it is built from this model's
-- scores, so a ref would be a cycle); before it exists, and on a full
-- refresh, which rebuilds the history from this run's dates alone, the
-- run scores just its own dates.

{%- set listed = var('cbs_as_of_dates') %}
{%- if listed is string %}{% set listed = listed.split(',') %}{% endif %}
{%- set listed = listed | map('trim') | reject('equalto', '') | list %}
{%- if not listed and var('cbs_as_of_date') %}
    {%- set listed = [var('cbs_as_of_date')] %}
{%- endif %}
{%- set lookback_days = cbs_number_var('cbs_history_lookback_days', integer=true) %}
{%- set history = none if flags.FULL_REFRESH or lookback_days == 0
    else cbs_existing_model_relation('customer_score_history') %}
{%- for day in listed %}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', day | string) %}
        {{ exceptions.raise_compiler_error(
            "var cbs_as_of_date(s): '" ~ day ~ "' is not a date written YYYY-MM-DD") }}
    {%- endif %}
{%- endfor %}

with activity_dates as (

    select cast(max(ordered_at) as date) as activity_date from {{ ref('stg_shop__orders') }}
    union all
    select cast(max(occurred_at) as date) from {{ ref('stg_crm__interactions') }}
    union all
    select cast(max(viewed_at) as date) from {{ ref('stg_shop__product_views') }}
    union all
    select cast(max(occurred_at) as date) from {{ ref('stg_social__engagements') }}
    union all
    select cast(max(submitted_at) as date) from {{ ref('stg_feedback__responses') }}

),

as_of as (

    {%- if listed %}
    {%- for day in listed | unique | sort %}
    select cast('{{ day }}' as date) as as_of_date
    {{- " union all" if not loop.last }}
    {%- endfor %}
    {%- else %}
    select coalesce(max(activity_date), current_date) as as_of_date
    from activity_dates
    {%- endif %}

),

{%- if history is not none %}

newest_run_date as (

    select max(as_of_date) as newest_date from as_of

),

rescored as (

    select distinct history.as_of_date
    from {{ history }} as history
    inner join newest_run_date
        on history.as_of_date < newest_run_date.newest_date
        and history.as_of_date >= cast({{ dbt.dateadd(
            'day', -lookback_days, 'newest_run_date.newest_date'
        ) }} as date)

),
{%- endif %}

scored_dates as (

    select as_of_date from as_of
    {%- if history is not none %}
    union
    select as_of_date from rescored
    {%- endif %}

),

final as (

    select
        as_of_date,
        cast({{ dbt.dateadd('day', 1 - var('cbs_window_days') | int, 'as_of_date') }} as date)
            as window_start_date,
        -- Activity counts when it happened before the end of the as-of day.
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as as_of_end_at,
        cast({{ var('cbs_window_days') | int }} as integer) as window_days,
        cast({{ var('cbs_half_life_days') or 'null' }} as double) as half_life_days
    from scored_dates

)

select * from final
