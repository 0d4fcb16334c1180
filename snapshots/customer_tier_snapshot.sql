{#- One row per version of a customer's default-profile tier and score:
    a new version starts whenever the tier or the score of the customer's
    latest scoring date changes (check strategy on tier and score), and the
    current version has dbt_valid_to NULL. Its input,
    customer_latest_scores, is tested unique on customer_id before the
    snapshot runs in dbt build, so duplicate keys stop the build instead of
    multiplying current rows. Disabled on targets that cannot snapshot
    (macro cbs_can_snapshot). -#}

{% snapshot customer_tier_snapshot %}

{{ config(
    enabled=cbs_can_snapshot(),
    schema='snapshots',
    unique_key='customer_id',
    strategy='check',
    check_cols=['tier', 'score'],
) }}

select
    customer_id,
    scoring_profile,
    as_of_date,
    score,
    tier,
    tier_rank
from {{ ref('customer_latest_scores') }}

{% endsnapshot %}
