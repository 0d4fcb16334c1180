-- One row per alert: a customer whose default-profile score fell too far
-- since their previous scoring date or below their recent baseline, or
-- whose tier fell.
--
-- Dates are the history's scoring dates: each date is compared with the
-- previous date of the history, and the baseline is the history's dates
-- before it. A customer not scored on the previous date (new, or back
-- after a gap) has nothing to compare with, and a baseline counts only
-- when the customer was scored on every one of its dates.
--
-- The score rule fires when the score falls by more than var
-- cbs_alert_drop_points points, or by more than var cbs_alert_drop_percent
-- percent of the previous score (either var empty switches that part
-- off). The baseline rule applies the same thresholds against the mean
-- score of the customer's var cbs_alert_baseline_dates previous scoring
-- dates (empty: off), so a slide of small steps is caught too; it needs
-- that many earlier dates. The tier rule fires when tier_rank grows by at
-- least var cbs_alert_tier_drop_ranks (1: any fall; 2: high to low only;
-- empty: off).
--
-- The same change never raises two alerts: the rules that fire on one
-- date make one alert (kind score_drop when the score rule fired, else
-- baseline_drop, else tier_drop, with a flag per rule), and the baseline
-- rule stays quiet on a date when the previous date already fired it or
-- the score rule, since the baseline then still holds the scores from
-- before that fall. A customer's first scoring date raises none.
--
-- Incremental: a run replaces the alerts of its earliest scoring date and
-- every later one, reading the history from the dates those look back at
-- (cbs_history_rewrite_start), so a daily run reads a few dates, not the
-- whole history, and gives the rows of a rebuild: running the same dates
-- again gives the same alerts with the same alert_id. The alerts follow
-- the default profile of the run that wrote them; after changing var
-- cbs_default_profile, run with --full-refresh. On Spark a table rebuilt
-- from the whole history (it cannot delete rows from Parquet tables).
--
-- Severity: high when the score fell by at least twice the points
-- threshold (against the previous date or the baseline) or the tier fell
-- two or more ranks; medium when more than one rule fired; low otherwise.

{%- set drop_points = cbs_number_var('cbs_alert_drop_points', allow_empty=true) %}
{%- set drop_percent = cbs_number_var('cbs_alert_drop_percent', allow_empty=true) %}
{%- set baseline_dates = cbs_number_var(
    'cbs_alert_baseline_dates', minimum=1, allow_empty=true, integer=true
) %}
{#- With the rule off, no row ever has a full baseline of 0 earlier dates
    (the first date, with none, has no previous date and is dropped). -#}
{%- set tier_drop_ranks = cbs_number_var(
    'cbs_alert_tier_drop_ranks', minimum=1, allow_empty=true, integer=true
) %}
{%- set baseline_size = 0 if baseline_dates is none else baseline_dates | int %}
{%- set earlier_dates -%}
    partition by customer_id
    order by date_number
    range between {{ [baseline_size, 1] | max }} preceding and 1 preceding
{%- endset %}
{%- set metrics = cbs_scoring_metrics() %}

-- depends_on: {{ ref('int_scoring_dates') }}
-- depends_on: {{ ref('int_history_tier_sizes') }}

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    on_schema_change='append_new_columns',
    unique_key='alert_id',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where as_of_date >= "
        ~ "{{ cbs_history_rewrite_start() }}{% endif %}",
) }}

with history as (

    -- The dates rewritten, and the previous date and baseline dates of
    -- the first of them, whose own rule outcome quiets the next date.
    select * from {{ ref('customer_score_history') }}
    {%- if is_incremental() %}
    where as_of_date >= {{ cbs_history_rewrite_start([baseline_size, 1] | max + 1) }}
    {%- endif %}

),

default_scores as (

    -- The profile named by var cbs_default_profile now, on every date
    -- read, whichever profile was the default when a date was written.
    select * from history
    where scoring_profile = '{{ var("cbs_default_profile") }}'

),

history_dates as (

    -- The history's dates (of those read), numbered in order.
    select
        as_of_date,
        row_number() over (order by as_of_date) as date_number
    from (select distinct as_of_date from default_scores) as dates

),

numbered as (

    select
        default_scores.*,
        history_dates.date_number
    from default_scores
    inner join history_dates
        on default_scores.as_of_date = history_dates.as_of_date

),

sequenced as (

    select
        customer_id,
        as_of_date,
        date_number,
        count(*) over ({{ earlier_dates }}) as baseline_date_count,
        avg(score) over ({{ earlier_dates }}) as baseline_score
    from numbered

),

compared as (

    select
        sequenced.customer_id,
        current_scores.scoring_profile,
        sequenced.as_of_date,
        sequenced.date_number,
        previous_scores.as_of_date as previous_as_of_date,
        previous_scores.score as score_before,
        current_scores.score as score_after,
        -- Scores carry 4 decimals, so rounding the change to 4 makes it
        -- exact and a change of exactly the threshold never fires.
        round(current_scores.score - previous_scores.score, 4) as score_change,
        previous_scores.tier as tier_before,
        current_scores.tier as tier_after,
        previous_scores.tier_rank as tier_rank_before,
        current_scores.tier_rank as tier_rank_after,
        {%- for metric in metrics %}
        round(
            current_scores.{{ metric }}_contribution
            - previous_scores.{{ metric }}_contribution,
            4
        ) as {{ metric }}_change,
        {%- endfor %}
        round(
            100 * (current_scores.score - previous_scores.score)
            / nullif(previous_scores.score, 0),
            4
        ) as score_change_percent,
        {%- for metric in metrics %}
        current_scores.{{ metric }}_contribution as {{ metric }}_contribution_after,
        {%- endfor %}
        -- A baseline counts only when it spans the full number of dates.
        case
            when sequenced.baseline_date_count = {{ baseline_size }}
                then round(sequenced.baseline_score, 4)
        end as baseline_score,
        case
            when sequenced.baseline_date_count = {{ baseline_size }}
                then round(current_scores.score - sequenced.baseline_score, 4)
        end as baseline_change,
        case
            when sequenced.baseline_date_count = {{ baseline_size }}
                then round(
                        100 * (current_scores.score - sequenced.baseline_score)
                        / nullif(sequenced.baseline_score, 0),
                        4
                    )
        end as baseline_change_percent
    from sequenced
    inner join numbered as current_scores
        on sequenced.customer_id = current_scores.customer_id
        and sequenced.date_number = current_scores.date_number
    inner join numbered as previous_scores
        on sequenced.customer_id = previous_scores.customer_id
        and sequenced.date_number - 1 = previous_scores.date_number

),

ruled as (

    select
        *,
        (
            false
            {%- if drop_points is not none %}
            or score_change < -{{ drop_points }}
            {%- endif %}
            {%- if drop_percent is not none %}
            or coalesce(score_change_percent < -{{ drop_percent }}, false)
            {%- endif %}
        ) as is_score_drop,
        (
            false
            {%- if drop_points is not none %}
            or coalesce(baseline_change < -{{ drop_points }}, false)
            {%- endif %}
            {%- if drop_percent is not none %}
            or coalesce(baseline_change_percent < -{{ drop_percent }}, false)
            {%- endif %}
        ) as is_below_baseline,
        {%- if tier_drop_ranks is none %}
        false as is_tier_drop
        {%- else %}
        tier_rank_after - tier_rank_before >= {{ tier_drop_ranks }} as is_tier_drop
        {%- endif %}
    from compared

),

flagged as (

    select
        *,
        -- Quiet while the previous date already fired the score or the
        -- baseline rule: that fall still weighs on the baseline.
        is_below_baseline and coalesce(
            max(
                case when is_score_drop or is_below_baseline then 1 else 0 end
            ) over (
                partition by customer_id
                order by date_number
                range between 1 preceding and 1 preceding
            ),
            0
        ) = 0 as is_baseline_drop
    from ruled

),

fired as (

    select * from flagged
    {%- if is_incremental() %}
    where
        (is_score_drop or is_baseline_drop or is_tier_drop)
        and as_of_date >= {{ cbs_history_rewrite_start() }}
    {%- else %}
    where is_score_drop or is_baseline_drop or is_tier_drop
    {%- endif %}

),

baseline_contributions as (

    -- Each metric's mean contribution over the baseline dates, for the
    -- alerts of the baseline rule alone: a few rows, so it is averaged
    -- here rather than by a window over every customer and date.
    select
        fired.customer_id,
        {%- for metric in metrics %}
        avg(earlier.{{ metric }}_contribution) as {{ metric }}_baseline_contribution,
        {%- endfor %}
        fired.date_number
    from fired
    inner join numbered as earlier
        on fired.customer_id = earlier.customer_id
        and fired.date_number - {{ baseline_size }} <= earlier.date_number
        and fired.date_number > earlier.date_number
    where fired.is_baseline_drop and not fired.is_score_drop
    group by fired.customer_id, fired.date_number

),

alerts as (

    select
        fired.*,
        case
            when fired.is_score_drop then 'score_drop'
            when fired.is_baseline_drop then 'baseline_drop'
            else 'tier_drop'
        end as alert_kind,
        -- The metric changes behind the alert: against the baseline when
        -- only the baseline rule fired, else against the previous date.
        {%- for metric in metrics %}
        case
            when fired.is_baseline_drop and not fired.is_score_drop
                then round(
                        fired.{{ metric }}_contribution_after
                        - baseline_contributions.{{ metric }}_baseline_contribution,
                        4
                    )
            else fired.{{ metric }}_change
        end as {{ metric }}_alert_change,
        {%- endfor %}
        (
            cast(fired.is_score_drop as integer)
            + cast(fired.is_baseline_drop as integer)
            + cast(fired.is_tier_drop as integer)
        ) as rules_fired
    from fired
    left join baseline_contributions
        on fired.customer_id = baseline_contributions.customer_id
        and fired.date_number = baseline_contributions.date_number

),

explained as (

    select
        *,
        {%- set alert_changes = [] %}
        {%- for metric in metrics %}
        {%- do alert_changes.append(metric ~ '_alert_change') %}
        {%- endfor %}
        {{ cbs_least(alert_changes) }} as largest_fall
    from alerts

),

named as (

    select
        *,
        -- The metric whose contribution fell most; ties go to the earlier
        -- metric in the fixed metric order.
        case
            when largest_fall >= 0 then null
            {%- for metric in metrics %}
            when {{ metric }}_alert_change = largest_fall then '{{ metric }}'
            {%- endfor %}
        end as metric_moved_most
    from explained

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'customer_id', "'|'",
            dbt.cast('as_of_date', dbt.type_string()), "'|'",
            'alert_kind',
        ])) }} as alert_id,
        customer_id,
        scoring_profile,
        as_of_date,
        previous_as_of_date,
        alert_kind,
        is_score_drop,
        is_baseline_drop,
        is_tier_drop,
        score_before,
        score_after,
        score_change,
        score_change_percent,
        baseline_score,
        baseline_change,
        tier_before,
        tier_after,
        tier_rank_before,
        tier_rank_after,
        metric_moved_most,
        case
            when largest_fall < 0 then largest_fall
        end as metric_contribution_change,
        case
            {%- if drop_points is not none %}
            when score_change <= -2 * {{ drop_points }} then 'high'
            when is_baseline_drop
                and baseline_change <= -2 * {{ drop_points }} then 'high'
            {%- endif %}
            when tier_rank_after - tier_rank_before >= 2 then 'high'
            when rules_fired > 1 then 'medium'
            else 'low'
        end as severity
    from named

)

select * from final
