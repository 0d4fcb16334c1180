-- Every raw CRM interaction row, cleaned and classified (see cbs_classify_rows).
-- Incremental: a run stages the raw rows that arrived since the last one and
-- classifies them again with the staged rows of the same interaction_id (see
-- macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='interaction_id',
) }}

{%- set columns = [
    'interaction_id',
    'customer_id',
    'channel',
    'direction',
    'occurred_at',
    'sales_rep_id',
    'raw_record',
    'raw_arrival',
    'quarantine_reason',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('crm', 'interactions') }}

),

cleaned as (

    select
        {{ cbs_clean_id('interaction_id') }} as interaction_id,
        {{ cbs_clean_id('customer_id') }} as customer_id,
        {{ cbs_clean_enum('channel') }} as channel,
        {{ cbs_clean_enum('direction') }} as direction,
        {{ cbs_to_utc_timestamp(cbs_clean_text('occurred_at')) }} as occurred_at,
        {{ cbs_clean_id('sales_rep_id') }} as sales_rep_id,
        {{ cbs_clean_text('occurred_at') }} as occurred_at_text,
        {{ cbs_raw_record('crm', 'interactions') }} as raw_record,
        raw_arrival
    from source

),

checked as (

    select
        interaction_id,
        customer_id,
        channel,
        case when direction in ('inbound', 'outbound') then direction end as direction,
        occurred_at,
        sales_rep_id,
        raw_record,
        raw_arrival,
        case
            when interaction_id is null then 'missing interaction_id'
            when customer_id is null then 'missing customer_id'
            {{ cbs_timestamp_reasons('occurred_at', 'occurred_at_text') }}
            when channel is null then 'missing channel'
            when channel not in ('call', 'email', 'chat', 'visit')
                then 'unknown channel: ' || channel
        end as quarantine_reason
    from cleaned

),

candidates as (

    {{ cbs_rows_to_classify('checked', 'interaction_id', columns) }}

),

classified as (

    {{ cbs_classify_rows('candidates', ['interaction_id'], latest_first='occurred_at desc') }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
