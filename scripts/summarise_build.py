"""Print a short summary of a finished build: tiers, score spread, quarantine.

Reads the marts of a DuckDB file read-only, so it can run while BI tools
read the same file. Usage:

    python scripts/summarise_build.py --database cbs.duckdb
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

TIERS_SQL = """
    select tier, count(*) as customers, round(avg(score), 1) as average_score
    from marts.customer_scores
    where is_default_profile
    group by tier, tier_rank
    order by tier_rank
"""

QUANTILES_SQL = """
    select
        count(*) as customers,
        round(min(score), 1) as min,
        round(quantile_cont(score, 0.25), 1) as p25,
        round(quantile_cont(score, 0.50), 1) as median,
        round(quantile_cont(score, 0.75), 1) as p75,
        round(max(score), 1) as max
    from marts.customer_scores
    where is_default_profile
"""

QUARANTINE_SQL = """
    select source_name || '.' || table_name as raw_table, quarantine_reason, count(*) as rows
    from marts.quarantined_rows
    group by all
    order by rows desc, raw_table, quarantine_reason
"""

RECONCILIATION_SQL = """
    select
        source_name || '.' || table_name as raw_table,
        raw_rows, kept_rows,
        exact_duplicate_rows + key_duplicate_rows as duplicate_rows,
        quarantined_rows
    from marts.source_row_reconciliation
    where raw_rows > 0
    order by raw_table
"""

UNMATCHED_SQL = """
    select source_name || '.' || table_name as activity, match_method, activity_rows
    from marts.identity_match_summary
    order by activity, activity_rows desc
"""


def print_table(title: str, connection: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Print a titled, aligned table of a query's rows."""
    cursor = connection.execute(sql)
    columns = [description[0] for description in cursor.description]
    rows = [["" if value is None else str(value) for value in row] for row in cursor.fetchall()]
    widths = [max([len(name)] + [len(row[i]) for row in rows]) for i, name in enumerate(columns)]
    print(f"\n{title}")
    print("  " + "  ".join(name.ljust(width) for name, width in zip(columns, widths, strict=True)))
    for row in rows or [["(none)"] + [""] * (len(columns) - 1)]:
        print(
            "  " + "  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True))
        )


def summarise(database: Path) -> None:
    """Print the summary of the build in ``database``."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        as_of, profile = connection.execute(
            "select max(as_of_date), max(scoring_profile) from marts.customer_scores"
            " where is_default_profile"
        ).fetchone()
        print(f"CBS build summary for {database} (as of {as_of}, profile {profile})")
        print_table("Customers per tier", connection, TIERS_SQL)
        print_table("Score distribution", connection, QUANTILES_SQL)
        print_table("Raw rows and where they went", connection, RECONCILIATION_SQL)
        print_table("Rows quarantined, by reason", connection, QUARANTINE_SQL)
        print_table("Activity stitched to CRM customers", connection, UNMATCHED_SQL)
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="DuckDB file of the build")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    if not args.database.exists():
        logger.error("no DuckDB file at %s: run the build first", args.database)
        return 1
    summarise(args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
