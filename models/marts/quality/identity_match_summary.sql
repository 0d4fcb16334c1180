-- One row per activity source and match method: how many kept activity
-- rows were stitched to a CRM customer, and by which key, and how many
-- could not be (ambiguous, unmatched, or carrying no key at all).

with stitched as (

    {%- set activity = [
        ['shop', 'orders', 'int_orders_stitched'],
        ['crm', 'interactions', 'int_interactions_stitched'],
        ['shop', 'product_views', 'int_product_views_stitched'],
        ['social', 'engagements', 'int_engagements_stitched'],
        ['feedback', 'responses', 'int_feedback_stitched'],
    ] %}
    {%- for source_name, table_name, model in activity %}
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as table_name,
        match_method,
        count(*) as activity_rows
    from {{ ref(model) }}
    group by match_method
    {{ "union all" if not loop.last }}
    {%- endfor %}

),

final as (

    select
        source_name,
        table_name,
        match_method,
        match_method not in ('ambiguous', 'unmatched', 'no_key') as is_matched,
        cast(activity_rows as bigint) as activity_rows,
        cast(
            activity_rows * 1.0
            / sum(activity_rows) over (partition by source_name, table_name)
            as double
        ) as share_of_rows
    from stitched

)

select * from final
