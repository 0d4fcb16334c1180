-- Every raw feedback row, cleaned and classified (see cbs_classify_rows).
-- Incremental: a run stages the raw rows that arrived since the last one and
-- classifies them again with the staged rows of the same feedback_id (see
-- macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='feedback_id',
) }}

{%- set columns = [
    'feedback_id',
    'customer_id',
    'email',
    'phone',
    'feedback_type',
    'product_id',
    'rating',
    'body',
    'submitted_at',
    'raw_record',
    'raw_arrival',
    'quarantine_reason',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('feedback', 'responses') }}

),

cleaned as (

    select
        {{ cbs_clean_id('feedback_id') }} as feedback_id,
        {{ cbs_clean_id('customer_id') }} as customer_id,
        {{ cbs_normalise_email('email') }} as email,
        {{ cbs_normalise_phone('phone') }} as phone,
        {{ cbs_clean_enum('feedback_type') }} as feedback_type,
        upper({{ cbs_clean_id('product_id') }}) as product_id,
        {{ cbs_to_number('rating') }} as rating,
        {{ cbs_clean_text('body') }} as body,
        {{ cbs_to_utc_timestamp(cbs_clean_text('submitted_at')) }} as submitted_at,
        {{ cbs_clean_text('submitted_at') }} as submitted_at_text,
        {{ cbs_is_unparseable('rating', cbs_to_number('rating')) }} as is_rating_unparseable,
        {{ cbs_raw_record('feedback', 'responses') }} as raw_record,
        raw_arrival
    from source

),

checked as (

    select
        feedback_id,
        customer_id,
        email,
        phone,
        feedback_type,
        product_id,
        rating,
        body,
        submitted_at,
        raw_record,
        raw_arrival,
        case
            when feedback_id is null then 'missing feedback_id'
            {{ cbs_timestamp_reasons('submitted_at', 'submitted_at_text') }}
            when feedback_type is null then 'missing feedback_type'
            when feedback_type not in ('review', 'rating', 'survey')
                then 'unknown feedback_type: ' || feedback_type
            when is_rating_unparseable then 'rating is not a number'
            when rating < 1 or rating > 5 then 'rating outside 1 to 5'
            when customer_id is null and email is null and phone is null
                then 'no customer key (no customer_id, e-mail or phone)'
        end as quarantine_reason
    from cleaned

),

candidates as (

    {{ cbs_rows_to_classify('checked', 'feedback_id', columns) }}

),

classified as (

    {{ cbs_classify_rows('candidates', ['feedback_id'], latest_first='submitted_at desc') }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
