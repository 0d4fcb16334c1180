{#- The activation vocabulary (lifecycle stages, channels) and the checks
    that stop a build on bad activation seeds or settings. Arguments are
    documented in macros/_activation__macros.yml. -#}

{% macro cbs_lifecycle_stages() -%}
    {#- Every lifecycle stage, in the order customer_segments tests them:
        new (first seen recently), active (recent activity), cooling (older
        activity), lapsed (no activity for long, or never). -#}
    {{ return(['new', 'active', 'cooling', 'lapsed']) }}
{%- endmacro %}


{% macro cbs_activation_channels() -%}
    {#- Channels a segment action may name in seed segment_actions. -#}
    {{ return(['email', 'phone', 'sales_rep', 'sms', 'direct_mail', 'in_app', 'none']) }}
{%- endmacro %}


{% macro cbs_lifecycle_settings() -%}
    {#- The lifecycle thresholds in days, checked: whole numbers >= 0 with
        var cbs_lifecycle_active_days <= var cbs_lifecycle_cooling_days.
        Returns a dict with keys new_days, active_days, cooling_days. -#}
    {%- set settings = {
        'new_days': cbs_number_var('cbs_lifecycle_new_days', integer=true),
        'active_days': cbs_number_var('cbs_lifecycle_active_days', integer=true),
        'cooling_days': cbs_number_var('cbs_lifecycle_cooling_days', integer=true),
    } -%}
    {%- if settings.active_days > settings.cooling_days -%}
        {{ cbs_raise_if_problems("the lifecycle settings", [
            "var cbs_lifecycle_active_days (" ~ settings.active_days
            ~ ") must not be larger than var cbs_lifecycle_cooling_days ("
            ~ settings.cooling_days ~ ")"]) }}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}


{% macro cbs_assert_valid_segment_actions(actions_relation, tiers_relation) -%}
    {#- Check the segment action seed: every row names a known tier (seed
        score_tiers) and lifecycle stage, an action and a known channel;
        no tier and stage twice; and every tier crossed with every stage
        has its action. Runs only at execution time. -#}
    {%- if execute -%}
        {%- set tiers = run_query(
            "select tier_name from " ~ tiers_relation ~ " order by tier_rank"
        ).columns[0].values() | list -%}
        {%- set stages = cbs_lifecycle_stages() -%}
        {%- set channels = cbs_activation_channels() -%}
        {%- set rows = run_query(
            "select tier, lifecycle_stage, action, channel from " ~ actions_relation).rows -%}
        {%- set problems = [] -%}
        {%- set seen = [] -%}
        {%- for row in rows -%}
            {%- set where = "tier '" ~ row[0] ~ "', stage '" ~ row[1] ~ "'" -%}
            {%- if row[0] not in tiers -%}
                {%- do problems.append(where ~ ": unknown tier; tiers in seed score_tiers: "
                    ~ tiers | join(", ")) -%}
            {%- endif -%}
            {%- if row[1] not in stages -%}
                {%- do problems.append(where ~ ": unknown lifecycle_stage; allowed: "
                    ~ stages | join(", ")) -%}
            {%- endif -%}
            {%- if (row[0], row[1]) in seen -%}
                {%- do problems.append(where ~ ": listed more than once") -%}
            {%- endif -%}
            {%- do seen.append((row[0], row[1])) -%}
            {%- if row[2] is none or row[2] | trim == '' -%}
                {%- do problems.append(where ~ ": action is empty") -%}
            {%- endif -%}
            {%- if row[3] not in channels -%}
                {%- do problems.append(where ~ ": unknown channel '" ~ row[3] ~ "'; allowed: "
                    ~ channels | join(", ")) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for tier in tiers -%}
            {%- for stage in stages if (tier, stage) not in seen -%}
                {%- do problems.append("tier '" ~ tier ~ "', stage '" ~ stage
                    ~ "': segment has no action") -%}
            {%- endfor -%}
        {%- endfor -%}
        {{ cbs_raise_if_problems("seed segment_actions", problems) }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_assert_valid_care_occasions(occasions_relation) -%}
    {#- Check the care occasion seed: names present and unique; the row
        named birthday has no month and day, every other row a real day of
        the year (29 February allowed); something to send on every row.
        Runs only at execution time. -#}
    {%- if execute -%}
        {%- set rows = run_query(
            "select occasion_name, month, day, what_to_send from " ~ occasions_relation).rows -%}
        {%- set days_in_month = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set problems = [] -%}
        {%- set seen = [] -%}
        {%- for row in rows -%}
            {%- set where = "occasion '" ~ row[0] ~ "'" -%}
            {%- if row[0] is none or row[0] | trim == '' -%}
                {%- do problems.append("a row has no occasion_name") -%}
            {%- elif row[0] in seen -%}
                {%- do problems.append(where ~ ": listed more than once") -%}
            {%- endif -%}
            {%- do seen.append(row[0]) -%}
            {%- if row[0] == 'birthday' -%}
                {%- if row[1] is not none or row[2] is not none -%}
                    {%- do problems.append(where ~ ": the birthday row takes each customer's"
                        ~ " birth date, so month and day must be empty") -%}
                {%- endif -%}
            {%- elif row[1] is none or row[2] is none
                or row[1] < 1 or row[1] > 12 or row[2] < 1
                or row[2] > days_in_month[(row[1] | int) - 1] -%}
                {%- do problems.append(where ~ ": month " ~ row[1] ~ ", day " ~ row[2]
                    ~ " is not a day of the year") -%}
            {%- endif -%}
            {%- if row[3] is none or row[3] | trim == '' -%}
                {%- do problems.append(where ~ ": what_to_send is empty") -%}
            {%- endif -%}
        {%- endfor -%}
        {{ cbs_raise_if_problems("seed care_occasions", problems) }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_matches_day_of_year(month, day, calendar_date) -%}
    {#- True when calendar_date falls on the given month and day of the
        year. A 29 February falls on 28 February in a year without one.
        Portable: dbt.date_part and dbt.dateadd only. -#}
    (
        (
            {{ cbs_date_part('month', calendar_date) }} = {{ month }}
            and {{ cbs_date_part('day', calendar_date) }} = {{ day }}
        )
        or (
            {{ month }} = 2
            and {{ day }} = 29
            and {{ cbs_date_part('month', calendar_date) }} = 2
            and {{ cbs_date_part('day', calendar_date) }} = 28
            and {{ cbs_date_part('month', dbt.dateadd('day', 1, calendar_date)) }} = 3
        )
    )
{%- endmacro %}
