-- Every raw order row, cleaned and classified (see cbs_classify_rows).
-- Incremental: a run stages the raw rows that arrived since the last one and
-- classifies them again with the staged rows of the same order_id (see
-- macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='order_id',
) }}

{%- set columns = [
    'order_id',
    'shop_account_id',
    'customer_email',
    'status',
    'ordered_at',
    'currency_code',
    'order_total',
    'raw_record',
    'raw_arrival',
    'quarantine_reason',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('shop', 'orders') }}

),

currencies as (

    select currency_code from {{ ref('currency_rates') }}

),

cleaned as (

    select
        {{ cbs_clean_id('order_id') }} as order_id,
        {{ cbs_clean_id('shop_account_id') }} as shop_account_id,
        {{ cbs_normalise_email('customer_email') }} as customer_email,
        {{ cbs_clean_enum('status') }} as status,
        {{ cbs_to_utc_timestamp(cbs_clean_text('ordered_at')) }} as ordered_at,
        upper({{ cbs_clean_text('currency') }}) as currency_code,
        {{ cbs_to_number('order_total', 'decimal(18,2)') }} as order_total,
        {{ cbs_to_number('order_total') }} as order_total_value,
        {{ cbs_clean_text('ordered_at') }} as ordered_at_text,
        {{ cbs_is_unparseable('order_total', cbs_to_number('order_total')) }}
            as is_total_unparseable,
        {{ cbs_raw_record('shop', 'orders') }} as raw_record,
        raw_arrival
    from source

),

checked as (

    select
        cleaned.order_id,
        cleaned.shop_account_id,
        cleaned.customer_email,
        cleaned.status,
        cleaned.ordered_at,
        cleaned.currency_code,
        cleaned.order_total,
        cleaned.raw_record,
        cleaned.raw_arrival,
        case
            when cleaned.order_id is null then 'missing order_id'
            {{ cbs_timestamp_reasons('cleaned.ordered_at', 'cleaned.ordered_at_text') }}
            when cleaned.status is null then 'missing status'
            when cleaned.status not in ('completed', 'cancelled', 'returned')
                then 'unknown status: ' || cleaned.status
            when cleaned.currency_code is null then 'missing currency'
            when currencies.currency_code is null
                then 'currency without a rate: ' || cleaned.currency_code
            when cleaned.is_total_unparseable then 'order_total is not a number'
            when cleaned.order_total_value < 0 then 'negative order_total'
            when cleaned.order_total_value > {{ var('cbs_max_amount') }}
                then 'order_total above {{ var("cbs_max_amount") }}'
            when cleaned.shop_account_id is null and cleaned.customer_email is null
                then 'no customer key (no shop account, no valid e-mail)'
        end as quarantine_reason
    from cleaned
    left join currencies
        on cleaned.currency_code = currencies.currency_code

),

candidates as (

    {{ cbs_rows_to_classify('checked', 'order_id', columns) }}

),

classified as (

    -- Two rows of one order that disagree: the later placement time wins,
    -- then the later state of an order's life (returned, then cancelled,
    -- then completed), so a return is never lost to its original sale.
    {%- set latest_first = "ordered_at desc, case status when 'returned' then 1"
        ~ " when 'cancelled' then 2 else 3 end" %}
    {{ cbs_classify_rows('candidates', ['order_id'], latest_first=latest_first) }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
