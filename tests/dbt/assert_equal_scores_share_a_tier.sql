-- Equal scores always land in the same tier and the same rank (no ntile
-- style split of ties). Returns each score that appears with more than one
-- tier or rank within a profile and date.

select
    scoring_profile,
    as_of_date,
    score,
    count(distinct tier) as tiers,
    count(distinct score_rank) as ranks
from {{ ref('customer_scores') }}
group by scoring_profile, as_of_date, score
having count(distinct tier) > 1
    or count(distinct score_rank) > 1
