-- Every raw order line row, cleaned and classified (see cbs_classify_rows).
-- A line is judged with its order: lines of an order that was quarantined
-- or never arrived are quarantined too, and a negative quantity is valid
-- only in a cancelled order.
--
-- Incremental: a run stages the raw rows that arrived since the last one
-- and classifies them again with the staged lines of the same order, and
-- of every order whose own rows changed in the run (a late order row can
-- change its lines' fate). A line's faults of its own are stored apart
-- (line_fault, line_fault_stage), so an old line is judged against its
-- order again without re-reading the raw file (see macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='order_id',
) }}

{%- set columns = [
    'order_id',
    'line_number',
    'product_id',
    'quantity',
    'unit_price',
    'line_content',
    'raw_record',
    'raw_arrival',
    'line_fault',
    'line_fault_stage',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('shop', 'order_lines') }}

),

non_merchandise as (

    select
        product_id,
        description
    from {{ ref('non_merchandise_products') }}

),

cleaned as (

    select
        {{ cbs_clean_id('order_id') }} as order_id,
        {{ cbs_to_number('line_number', 'integer') }} as line_number,
        upper({{ cbs_clean_id('product_id') }}) as product_id,
        {{ cbs_to_number('quantity', 'integer') }} as quantity,
        {{ cbs_to_number('unit_price', 'decimal(18,4)') }} as unit_price,
        {{ cbs_to_number('unit_price') }} as unit_price_value,
        {{ cbs_is_unparseable('line_number', cbs_to_number('line_number', 'integer')) }}
            as is_line_number_unparseable,
        {{ cbs_is_unparseable('quantity', cbs_to_number('quantity', 'integer')) }}
            as is_quantity_unparseable,
        {{ cbs_is_unparseable('unit_price', cbs_to_number('unit_price')) }}
            as is_price_unparseable,
        -- The line's content without its position: the same product,
        -- quantity and price twice in one order is one line repeated.
        {{ cbs_row_as_text(['order_id', 'product_id', 'quantity', 'unit_price']) }}
            as line_content,
        {{ cbs_raw_record('shop', 'order_lines') }} as raw_record,
        raw_arrival
    from source

),

faults as (

    -- The line's own faults in three stages, since the checks against its
    -- order come between them: before the order (the line cannot be
    -- placed), after the order is found (product, quantity and price are
    -- readable), and after the sign of the quantity is judged (bounds).
    select
        cleaned.*,
        case
            when cleaned.order_id is null then 'missing order_id'
            when cleaned.line_number is null and not cleaned.is_line_number_unparseable
                then 'missing line_number'
            when cleaned.is_line_number_unparseable then 'line_number is not a whole number'
        end as placement_fault,
        case
            when cleaned.product_id is null then 'missing product_id'
            when non_merchandise.product_id is not null
                then 'not merchandise: ' || non_merchandise.description
            when cleaned.is_quantity_unparseable or cleaned.quantity is null
                then 'quantity is not a whole number'
            when cleaned.is_price_unparseable or cleaned.unit_price_value is null
                then 'unit_price is not a number'
            when cleaned.quantity = 0 then 'zero quantity'
        end as content_fault,
        case
            when abs(cleaned.quantity) > {{ var('cbs_max_line_quantity') }}
                then 'quantity above {{ var("cbs_max_line_quantity") }}'
            when cleaned.unit_price_value < 0 then 'negative unit_price'
            when cleaned.unit_price_value = 0 then 'zero unit_price'
            when cleaned.unit_price_value > {{ var('cbs_max_amount') }}
                then 'unit_price above {{ var("cbs_max_amount") }}'
        end as bound_fault
    from cleaned
    left join non_merchandise
        on cleaned.product_id = non_merchandise.product_id

),

new_lines as (

    select
        order_id,
        line_number,
        product_id,
        quantity,
        unit_price,
        line_content,
        raw_record,
        raw_arrival,
        coalesce(placement_fault, content_fault, bound_fault) as line_fault,
        case
            when placement_fault is not null then 1
            when content_fault is not null then 2
            when bound_fault is not null then 3
        end as line_fault_stage
    from faults

),

candidates as (

    {%- set changed_orders %}
        select order_id
        from {{ ref('base_shop__orders') }}
        where classified_at > (select max(classified_at) from {{ this }})
    {%- endset %}
    {{ cbs_rows_to_classify('new_lines', 'order_id', columns, more_groups=changed_orders) }}

),

orders as (

    select
        staged_orders.order_id,
        max(case when staged_orders.row_status = 'kept' then staged_orders.status end)
            as kept_status,
        max(case when staged_orders.row_status = 'quarantined' then 1 else 0 end) = 1
            as has_quarantined_row
    from {{ ref('base_shop__orders') }} as staged_orders
    {%- if is_incremental() %}
    where staged_orders.order_id in (select candidates.order_id from candidates)
    {%- else %}
    where staged_orders.order_id is not null
    {%- endif %}
    group by staged_orders.order_id

),

checked as (

    select
        candidates.*,
        case
            when candidates.line_fault_stage = 1 then candidates.line_fault
            when orders.order_id is null then 'order not found'
            when orders.kept_status is null and orders.has_quarantined_row
                then 'order quarantined'
            when candidates.line_fault_stage = 2 then candidates.line_fault
            when candidates.quantity < 0 and orders.kept_status <> 'cancelled'
                then 'negative quantity outside a cancellation'
            else candidates.line_fault
        end as quarantine_reason
    from candidates
    left join orders
        on candidates.order_id = orders.order_id

),

classified as (

    {{ cbs_classify_rows(
        'checked',
        ['order_id', 'line_number'],
        latest_first='line_number',
        content_column='line_content'
    ) }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
