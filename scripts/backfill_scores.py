"""Score a range of past dates into the score history with one ``dbt build``.

The dates are --start, then every --every-days days up to --end (included
when the steps land on it). They go to dbt as var ``cbs_as_of_dates``, so
every date is scored in the same run: customer_score_history gains those
dates (replacing any already there) and the alerts, trends, migration and
forecast marts are rebuilt over the whole history. Extra arguments after
``--`` go to dbt unchanged. Usage:

    python scripts/backfill_scores.py --start 2026-01-04 --end 2026-03-29 --every-days 7
    python scripts/backfill_scores.py --start 2026-01-04 --end 2026-03-29 -- --select +score_alerts
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
MAX_DATES = 1000


def scoring_dates(start: date, end: date, every_days: int) -> list[date]:
    """The dates start, start + every_days, ... that are not after end."""
    if every_days < 1:
        raise ValueError(f"--every-days must be at least 1, got {every_days}")
    if end < start:
        raise ValueError(f"--end ({end}) is before --start ({start})")
    count = (end - start).days // every_days + 1
    if count > MAX_DATES:
        raise ValueError(
            f"{count} dates from {start} to {end} every {every_days} days;"
            f" at most {MAX_DATES} per run, split the range"
        )
    return [start + timedelta(days=every_days * step) for step in range(count)]


def dbt_command(
    dates: list[date],
    dbt: Path,
    project_dir: Path,
    full_refresh: bool = False,
    extra: list[str] | None = None,
) -> list[str]:
    """The ``dbt build`` command that scores ``dates`` in one run."""
    dbt_vars = {"cbs_as_of_dates": [day.isoformat() for day in dates]}
    command = [
        str(dbt),
        "build",
        "--project-dir",
        str(project_dir),
        "--vars",
        json.dumps(dbt_vars),
    ]
    if full_refresh:
        command.append("--full-refresh")
    return command + list(extra or [])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments; what follows ``--`` is passed to dbt."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=date.fromisoformat, required=True, help="first date")
    parser.add_argument("--end", type=date.fromisoformat, required=True, help="last date")
    parser.add_argument(
        "--every-days", type=int, default=7, help="days between scoring dates (default 7)"
    )
    parser.add_argument(
        "--project-dir", type=Path, default=PROJECT_DIR, help="dbt project (default: this one)"
    )
    parser.add_argument(
        "--dbt",
        type=Path,
        default=Path(sys.executable).parent / "dbt",
        help="dbt executable (default: the one beside this Python)",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the history from these dates alone (drops every other date)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the command, run nothing")
    parser.add_argument("dbt_args", nargs="*", help="extra dbt arguments, after --")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the backfill; return dbt's exit code."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        dates = scoring_dates(args.start, args.end, args.every_days)
    except ValueError as error:
        print(f"backfill_scores: {error}", file=sys.stderr)
        return 2
    command = dbt_command(dates, args.dbt, args.project_dir, args.full_refresh, args.dbt_args)
    if args.dry_run:
        print(" ".join(command))
        return 0
    if not args.dbt.exists():
        print(f"backfill_scores: dbt not found at {args.dbt} (set --dbt)", file=sys.stderr)
        return 2
    logger.info("scoring %d dates from %s to %s in one dbt build", len(dates), dates[0], dates[-1])
    result = subprocess.run(command, check=False)
    if result.returncode == 0:
        print(f"backfilled {len(dates)} scoring dates: {dates[0]} to {dates[-1]}")
    else:
        print(f"backfill failed: dbt exited {result.returncode}", file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
