{#- The scoring vocabulary: which metrics exist, how they may be normalised,
    and the checks that stop a build on bad seed content. -#}

{% macro cbs_scoring_metrics() -%}
    {#- Every metric a weight profile may use, in the fixed order used for
        tie-breaks and for the columns of customer_scores. Definitions and
        units: models/intermediate/_intermediate__models.yml. -#}
    {{ return([
        'purchase_frequency',
        'total_spend',
        'average_order_value',
        'recency_days',
        'interaction_count',
        'product_views',
        'average_rating',
        'review_count',
        'social_engagement',
    ]) }}
{%- endmacro %}


{% macro cbs_normalisation_methods() -%}
    {#- rank: percent rank, ties sharing the lowest; minmax: linear between the
        smallest and largest value; capped_log_minmax: ln(1 + x) after
        capping at the 99th percentile, then min-max. -#}
    {{ return(['rank', 'minmax', 'capped_log_minmax']) }}
{%- endmacro %}


{% macro cbs_raise_if_problems(what, problems) -%}
    {#- Stop the run with one message listing every problem found. -#}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            what ~ " is not valid:\n  - " ~ problems | join("\n  - ")) }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_assert_valid_weights(weights_relation) -%}
    {#- Check the weight seed before anything is scored with it: known
        metrics, methods and directions, weights that are numbers >= 0 with
        at least one > 0 per profile, value_if_missing in 0..1, one row per
        profile and metric, and a default profile (var cbs_default_profile)
        that exists. Runs only at execution time. -#}
    {%- if execute -%}
        {%- set metrics = cbs_scoring_metrics() -%}
        {%- set methods = cbs_normalisation_methods() -%}
        {%- set directions = ['higher_is_better', 'lower_is_better'] -%}
        {#- Range checks run in SQL, where NaN and infinity fail them too. -#}
        {%- set rows = run_query(
            "select scoring_profile, metric_name,"
            ~ " case when weight >= 0 and weight <= 1e12 then weight end,"
            ~ " normalisation, direction,"
            ~ " case when value_if_missing >= 0 and value_if_missing <= 1"
            ~ " then value_if_missing end,"
            ~ " cast(weight as " ~ dbt.type_string() ~ "),"
            ~ " cast(value_if_missing as " ~ dbt.type_string() ~ ")"
            ~ " from " ~ weights_relation).rows -%}
        {%- set problems = [] -%}
        {%- set seen = [] -%}
        {%- set totals = {} -%}
        {%- for row in rows -%}
            {%- set where = "profile '" ~ row[0] ~ "', metric '" ~ row[1] ~ "'" -%}
            {%- if row[0] is none -%}
                {%- do problems.append("a row has no scoring_profile") -%}
            {%- endif -%}
            {%- if row[1] not in metrics -%}
                {%- do problems.append(where ~ ": unknown metric; known metrics: " ~ metrics | join(", ")) -%}
            {%- endif -%}
            {%- if (row[0], row[1]) in seen -%}
                {%- do problems.append(where ~ ": listed more than once") -%}
            {%- endif -%}
            {%- do seen.append((row[0], row[1])) -%}
            {%- if row[2] is none -%}
                {%- do problems.append(where ~ ": weight must be a finite number >= 0, got " ~ row[6]) -%}
            {%- else -%}
                {%- do totals.update({row[0]: totals.get(row[0], 0) + row[2]}) -%}
            {%- endif -%}
            {%- if row[3] not in methods -%}
                {%- do problems.append(where ~ ": unknown normalisation '" ~ row[3] ~ "'; allowed: " ~ methods | join(", ")) -%}
            {%- endif -%}
            {%- if row[4] not in directions -%}
                {%- do problems.append(where ~ ": unknown direction '" ~ row[4] ~ "'; allowed: " ~ directions | join(", ")) -%}
            {%- endif -%}
            {%- if row[5] is none -%}
                {%- do problems.append(where ~ ": value_if_missing must be between 0 and 1, got " ~ row[7]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for profile, total in totals.items() if total <= 0 -%}
            {%- do problems.append("profile '" ~ profile ~ "': all weights are zero") -%}
        {%- endfor -%}
        {%- if var('cbs_default_profile') not in totals -%}
            {%- do problems.append("default profile '" ~ var('cbs_default_profile')
                ~ "' (var cbs_default_profile) has no weights; profiles: " ~ totals.keys() | list | join(", ")) -%}
        {%- endif -%}
        {{ cbs_raise_if_problems("seed scoring_weights", problems) }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_assert_valid_tiers(tiers_relation) -%}
    {#- Check the tier seed: names and ranks unique, bounds within 0..100,
        lower below upper, and the tiers, sorted by bound, covering 0 to 100
        with no gap and no overlap; the best tier (rank 1) is the top one. -#}
    {%- if execute -%}
        {#- Bounds outside 0..100, NaN and infinity come back as NULL. -#}
        {%- set rows = run_query(
            "select tier_name, tier_rank,"
            ~ " case when lower_bound >= 0 and lower_bound <= 100 then lower_bound end,"
            ~ " case when upper_bound >= 0 and upper_bound <= 100 then upper_bound end"
            ~ " from " ~ tiers_relation ~ " order by lower_bound, upper_bound").rows -%}
        {%- set problems = [] -%}
        {%- if rows | length == 0 -%}
            {%- do problems.append("no tiers defined") -%}
        {%- endif -%}
        {%- set names = rows | map(attribute=0) | list -%}
        {%- set ranks = rows | map(attribute=1) | list -%}
        {%- if names | unique | list | length != names | length or none in names -%}
            {%- do problems.append("tier names must be present and unique: " ~ names | join(", ")) -%}
        {%- endif -%}
        {%- if ranks | unique | list | length != ranks | length or none in ranks -%}
            {%- do problems.append("tier ranks must be present and unique: " ~ ranks | join(", ")) -%}
        {%- endif -%}
        {%- for row in rows -%}
            {%- set where = "tier '" ~ row[0] ~ "'" -%}
            {%- if row[2] is none or row[3] is none or row[2] >= row[3] -%}
                {%- do problems.append(where ~ ": needs 0 <= lower_bound < upper_bound <= 100, got "
                    ~ row[2] ~ " to " ~ row[3]) -%}
            {%- elif loop.first and row[2] != 0 -%}
                {%- do problems.append(where ~ ": the lowest tier must start at 0, starts at " ~ row[2]) -%}
            {%- endif -%}
            {%- if loop.last and row[3] != 100 -%}
                {%- do problems.append(where ~ ": the highest tier must end at 100, ends at " ~ row[3]) -%}
            {%- endif -%}
            {%- if not loop.last -%}
                {%- set next = rows[loop.index] -%}
                {%- if next[2] is not none and row[3] is not none and next[2] > row[3] -%}
                    {%- do problems.append("gap between tier '" ~ row[0] ~ "' (ends at " ~ row[3]
                        ~ ") and tier '" ~ next[0] ~ "' (starts at " ~ next[2] ~ ")") -%}
                {%- elif next[2] is not none and row[3] is not none and next[2] < row[3] -%}
                    {%- do problems.append("tier '" ~ row[0] ~ "' (ends at " ~ row[3]
                        ~ ") overlaps tier '" ~ next[0] ~ "' (starts at " ~ next[2] ~ ")") -%}
                {%- endif -%}
                {%- if next[1] is not none and row[1] is not none and next[1] >= row[1] -%}
                    {%- do problems.append("tier '" ~ next[0] ~ "' covers higher scores than tier '"
                        ~ row[0] ~ "' so its tier_rank must be smaller") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {{ cbs_raise_if_problems("seed score_tiers", problems) }}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_assert_base_currency(rates_relation) -%}
    {#- Stop when var cbs_base_currency has no rate in the currency seed,
        instead of converting every amount to nothing. -#}
    {%- if execute -%}
        {%- set base = var('cbs_base_currency') -%}
        {%- set codes = run_query("select currency_code from " ~ rates_relation).columns[0].values() -%}
        {%- if base not in codes -%}
            {{ cbs_raise_if_problems("var cbs_base_currency", [
                "'" ~ base ~ "' has no row in seed currency_rates; currencies: " ~ codes | join(", ")]) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro cbs_assert_valid_settings() -%}
    {#- Stop the run when a scoring variable makes no sense, naming it:
        cbs_window_days a whole number >= 1, cbs_half_life_days empty or a
        number > 0, scoring dates not after today. -#}
    {%- set problems = [] -%}
    {%- set window = var('cbs_window_days') | string -%}
    {%- if not modules.re.match('^[0-9]+$', window) or window | int < 1 -%}
        {%- do problems.append("var cbs_window_days must be a whole number of days >= 1, got '"
            ~ window ~ "'") -%}
    {%- endif -%}
    {%- set half_life = var('cbs_half_life_days') | string -%}
    {%- if half_life and half_life != 'None' -%}
        {%- if not modules.re.match('^[0-9]*\.?[0-9]+$', half_life) or half_life | float <= 0 -%}
            {%- do problems.append("var cbs_half_life_days must be empty or a number of days > 0,"
                ~ " got '" ~ half_life ~ "'") -%}
        {%- endif -%}
    {%- endif -%}
    {%- set today = modules.datetime.datetime.utcnow().date().isoformat() -%}
    {%- set listed = var('cbs_as_of_dates') -%}
    {%- if listed is string -%}{%- set listed = listed.split(',') -%}{%- endif -%}
    {%- for day in (listed | list) + [var('cbs_as_of_date')] -%}
        {%- if day and (day | string | trim) > today -%}
            {%- do problems.append("scoring date " ~ day ~ " is after today (" ~ today
                ~ "): nothing can have happened yet") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ cbs_raise_if_problems("the scoring settings", problems) }}
{%- endmacro %}


{% macro cbs_clamp_to_unit(expression) -%}
    {#- The expression as a double, held to 0..1: normalised values must never
        leave the range through rounding error. NULL stays NULL (greatest
        and least skip NULLs on some engines, which would turn it into 0). -#}
    case
        when {{ expression }} is not null
            then least(greatest(cast({{ expression }} as double), 0.0), 1.0)
    end
{%- endmacro %}
