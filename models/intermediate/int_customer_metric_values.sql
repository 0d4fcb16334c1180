-- One row per customer and scoring metric: the metrics of
-- int_customer_metrics in long form, NULL where the customer has none.

with metrics as (

    select * from {{ ref('int_customer_metrics') }}

),

unpivoted as (

    {%- for metric in cbs_scoring_metrics() %}
    select
        customer_id,
        as_of_date,
        '{{ metric }}' as metric_name,
        {{ loop.index }} as metric_order,
        {{ metric }} as metric_value
    from metrics
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from unpivoted
