-- Every raw row ends in exactly one place: kept, removed as an exact or key
-- duplicate, or quarantined with a reason. Returns each raw table where the
-- counts do not add up, or where the staged model does not hold exactly the
-- kept rows. Nothing may be dropped silently.

select
    source_name,
    table_name,
    raw_rows,
    kept_rows,
    exact_duplicate_rows,
    key_duplicate_rows,
    quarantined_rows,
    staged_rows
from {{ ref('source_row_reconciliation') }}
where raw_rows <> kept_rows + exact_duplicate_rows + key_duplicate_rows + quarantined_rows
    or staged_rows <> kept_rows
