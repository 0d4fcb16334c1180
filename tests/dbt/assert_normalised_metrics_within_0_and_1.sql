-- Every normalised value, of every metric and method, lies in 0..1 or is
-- NULL (the customer has no value). One query over the wide table instead
-- of a test per column; NaN and infinity fail too (x * 0 = 0 holds only
-- for finite numbers). Returns each offending customer and date with the
-- first column out of range.

{%- set columns = [] %}
{%- for metric in cbs_scoring_metrics() %}
{%- for method in cbs_normalisation_methods() %}
{%- do columns.append(metric ~ '_' ~ method) %}
{%- endfor %}
{%- endfor %}

with normalised as (

    select * from {{ ref('int_customer_metrics_normalised') }}

),

checked as (

    select
        customer_id,
        as_of_date,
        case
            {%- for column in columns %}
            when {{ column }} is not null
                and not ({{ column }} * 0 = 0 and {{ column }} >= 0 and {{ column }} <= 1)
                then '{{ column }}'
            {%- endfor %}
        end as column_out_of_range
    from normalised

)

select *
from checked
where column_out_of_range is not null
