-- Every raw social engagement row, cleaned and classified (see cbs_classify_rows).
-- Incremental: a run stages the raw rows that arrived since the last one and
-- classifies them again with the staged rows of the same engagement_id (see
-- macros/incremental.sql).

{{ config(
    materialized=cbs_incremental_materialization(),
    incremental_strategy=cbs_incremental_strategy(),
    unique_key='engagement_id',
) }}

{%- set columns = [
    'engagement_id',
    'platform',
    'social_handle',
    'engagement_type',
    'occurred_at',
    'raw_record',
    'raw_arrival',
    'quarantine_reason',
] %}

with source as (

    {{ cbs_raw_rows_since_last_build('social', 'engagements') }}

),

cleaned as (

    select
        {{ cbs_clean_id('engagement_id') }} as engagement_id,
        {{ cbs_clean_enum('platform') }} as platform,
        {{ cbs_normalise_handle('social_handle') }} as social_handle,
        {{ cbs_clean_enum('engagement_type') }} as engagement_type,
        {{ cbs_to_utc_timestamp(cbs_clean_text('occurred_at')) }} as occurred_at,
        {{ cbs_clean_text('occurred_at') }} as occurred_at_text,
        {{ cbs_raw_record('social', 'engagements') }} as raw_record,
        raw_arrival
    from source

),

checked as (

    select
        engagement_id,
        platform,
        social_handle,
        engagement_type,
        occurred_at,
        raw_record,
        raw_arrival,
        case
            when engagement_id is null then 'missing engagement_id'
            when social_handle is null then 'missing social_handle'
            {{ cbs_timestamp_reasons('occurred_at', 'occurred_at_text') }}
            when engagement_type is null then 'missing engagement_type'
            when engagement_type not in ('like', 'comment', 'share', 'mention')
                then 'unknown engagement_type: ' || engagement_type
        end as quarantine_reason
    from cleaned

),

candidates as (

    {{ cbs_rows_to_classify('checked', 'engagement_id', columns) }}

),

classified as (

    {{ cbs_classify_rows('candidates', ['engagement_id'], latest_first='occurred_at desc') }}

),

final as (

    select
        *,
        {{ cbs_run_started_at() }} as classified_at
    from classified

)

select * from final
