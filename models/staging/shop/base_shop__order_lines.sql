-- Every raw order line row, cleaned and classified (see cbs_classify_rows).
-- A line is judged with its order: lines of an order that was quarantined
-- or never arrived are quarantined too, and a negative quantity is valid
-- only in a cancelled order.

with source as (

    {{ cbs_raw_source('shop', 'order_lines') }}

),

orders as (

    select
        order_id,
        max(case when row_status = 'kept' then status end) as kept_status,
        max(case when row_status = 'quarantined' then 1 else 0 end) = 1 as has_quarantined_row
    from {{ ref('base_shop__orders') }}
    where order_id is not null
    group by order_id

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
        {{ cbs_raw_record('shop', 'order_lines') }} as raw_record
    from source

),

checked as (

    select
        cleaned.order_id,
        cleaned.line_number,
        cleaned.product_id,
        cleaned.quantity,
        cleaned.unit_price,
        cleaned.line_content,
        cleaned.raw_record,
        case
            when cleaned.order_id is null then 'missing order_id'
            when cleaned.line_number is null and not cleaned.is_line_number_unparseable
                then 'missing line_number'
            when cleaned.is_line_number_unparseable then 'line_number is not a whole number'
            when orders.order_id is null then 'order not found'
            when orders.kept_status is null and orders.has_quarantined_row
                then 'order quarantined'
            when cleaned.product_id is null then 'missing product_id'
            when non_merchandise.product_id is not null
                then 'not merchandise: ' || non_merchandise.description
            when cleaned.is_quantity_unparseable or cleaned.quantity is null
                then 'quantity is not a whole number'
            when cleaned.is_price_unparseable or cleaned.unit_price_value is null
                then 'unit_price is not a number'
            when cleaned.quantity = 0 then 'zero quantity'
            when cleaned.quantity < 0 and orders.kept_status <> 'cancelled'
                then 'negative quantity outside a cancellation'
            when abs(cleaned.quantity) > {{ var('cbs_max_line_quantity') }}
                then 'quantity above {{ var("cbs_max_line_quantity") }}'
            when cleaned.unit_price_value < 0 then 'negative unit_price'
            when cleaned.unit_price_value = 0 then 'zero unit_price'
            when cleaned.unit_price_value > {{ var('cbs_max_amount') }}
                then 'unit_price above {{ var("cbs_max_amount") }}'
        end as quarantine_reason
    from cleaned
    left join orders
        on cleaned.order_id = orders.order_id
    left join non_merchandise
        on cleaned.product_id = non_merchandise.product_id

),

classified as (

    {{ cbs_classify_rows(
        'checked',
        ['order_id', 'line_number'],
        latest_first='line_number',
        content_column='line_content'
    ) }}

)

select * from classified
