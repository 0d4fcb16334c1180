"""Write new score alerts as CSV or JSON Lines for a CRM to import.

Reads marts.score_alerts from a built DuckDB file (read-only) and writes the
alerts a CRM has not had yet, ordered by date and customer, one of two ways:

--since DATE    every alert of a scoring date after DATE.
--state FILE    every alert not exported before, by the small JSON state
                file this script keeps: the latest scoring date exported and
                the alert_ids of the days before it that later runs may
                still score again (--lookback-days, as var
                cbs_history_lookback_days). An alert that late-arriving data
                adds to such a day is exported on the next run; an alert
                already exported is never written twice. A missing file
                means nothing was exported yet. An --out file that still
                holds alerts is never written over (they would be lost):
                the export stops and says so.

Usage:

    python scripts/export_alerts.py --database cbs.duckdb --since 2026-11-01 --out alerts.csv
    python scripts/export_alerts.py --database cbs.duckdb --state alerts_state.json \\
        --out alerts.jsonl
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

logger = logging.getLogger(__name__)

ALERTS_TABLE = "score_alerts"
FORMATS = ("csv", "jsonl")


def read_state(path: Path) -> tuple[date | None, set[str]]:
    """The latest date exported and the recent alert_ids; (None, {}) without a file."""
    if not path.exists():
        return None, set()
    try:
        state = json.loads(path.read_text())
        through = state["exported_through"]
        return date.fromisoformat(through) if through else None, set(state["recent_alert_ids"])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"state file {path} is not a state this script wrote: {error}") from error


def write_state(
    path: Path, through: date | None, recent_ids: Iterable[str], exported_rows: int
) -> None:
    """Replace the state file in one step, so a crash never leaves half a state."""
    state = {
        "exported_through": through.isoformat() if through else None,
        "recent_alert_ids": sorted(recent_ids),
        "last_export_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "last_export_rows": exported_rows,
    }
    atomic_write(path, json.dumps(state, indent=2) + "\n")


def atomic_write(path: Path, text: str) -> None:
    """Write text to path through a temporary file in the same folder, with
    the permissions a new file gets (mkstemp alone would leave it 600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", newline="") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def alerts_in_file(path: Path, output_format: str) -> int:
    """How many alerts an earlier export left in ``path`` (0 when it is missing)."""
    if not path.exists():
        return 0
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return max(len(lines) - (1 if output_format == "csv" else 0), 0)


def fetch_alerts(
    database: Path, schema: str, after: date | None
) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows of the alerts with as_of_date after ``after`` (all when None)."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        query = f"select * from {schema}.{ALERTS_TABLE}"
        parameters: list[Any] = []
        if after is not None:
            query += " where as_of_date > ?"
            parameters.append(after)
        cursor = connection.execute(query + " order by as_of_date, customer_id", parameters)
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()
    return columns, rows


def as_text(value: Any) -> Any:
    """A value as the export writes it: dates in ISO form, the rest unchanged."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def render(columns: list[str], rows: list[dict[str, Any]], output_format: str) -> str:
    """The rows as CSV (header first; true/false for booleans) or as JSON Lines."""
    if output_format == "jsonl":
        return "".join(
            json.dumps({key: as_text(value) for key, value in row.items()}) + "\n" for row in rows
        )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                key: str(value).lower() if isinstance(value, bool) else as_text(value)
                for key, value in row.items()
            }
        )
    return buffer.getvalue()


def export(
    database: Path,
    out: str,
    output_format: str,
    since: date | None = None,
    state_path: Path | None = None,
    lookback_days: int = 7,
    schema: str = "marts",
) -> int:
    """Write the new alerts to ``out`` ('-' for stdout); return how many were written."""
    if state_path is not None and out != "-":
        # The state file counts those alerts as exported: writing over a file
        # the CRM has not imported yet would lose them.
        waiting = alerts_in_file(Path(out), output_format)
        if waiting:
            raise ValueError(
                f"{out} still holds {waiting} alerts of an earlier export, which the state file "
                f"{state_path} counts as exported: import it and move it away, or write this "
                "export to another file (a dated name, for example)"
            )
    if state_path is not None:
        exported_through, recent_ids = read_state(state_path)
        after = exported_through - timedelta(days=lookback_days + 1) if exported_through else None
    else:
        exported_through, recent_ids, after = None, set(), since
    columns, rows = fetch_alerts(database, schema, after)
    new_rows = [row for row in rows if row["alert_id"] not in recent_ids]
    text = render(columns, new_rows, output_format)
    if out == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(out), text)
    if state_path is not None:
        dates = [row["as_of_date"] for row in new_rows]
        through = max([*dates, *([exported_through] if exported_through else [])], default=None)
        keep_from = through - timedelta(days=lookback_days) if through else None
        kept_ids = {row["alert_id"] for row in rows if keep_from and row["as_of_date"] >= keep_from}
        write_state(state_path, through, kept_ids, len(new_rows))
    logger.info(
        "%d alerts read after %s, %d new written to %s",
        len(rows),
        after or "the beginning",
        len(new_rows),
        out,
    )
    return len(new_rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database",
        type=Path,
        default=Path(os.environ.get("CBS_DUCKDB_PATH", "cbs.duckdb")),
        help="DuckDB file built by dbt (default: $CBS_DUCKDB_PATH, else cbs.duckdb)",
    )
    parser.add_argument("--out", required=True, help="file to write, or - for standard output")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="csv or jsonl (default: jsonl when --out ends in .jsonl, else csv)",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--since", type=date.fromisoformat, help="export alerts of scoring dates after this day"
    )
    which.add_argument("--state", type=Path, help="state file of earlier exports (kept up to date)")
    parser.add_argument(
        "--lookback-days",
        type=int,
        default=7,
        help="days a later run may still score again (var cbs_history_lookback_days; default 7)",
    )
    parser.add_argument("--schema", default="marts", help="schema of score_alerts (default marts)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point; exit code 1 when the database or the state cannot be read."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not args.database.exists():
        print(
            f"export_alerts: database {args.database} not found (set --database)", file=sys.stderr
        )
        return 1
    if args.lookback_days < 0:
        print("export_alerts: --lookback-days must be 0 or more", file=sys.stderr)
        return 1
    output_format = args.format or ("jsonl" if str(args.out).endswith(".jsonl") else "csv")
    try:
        written = export(
            args.database,
            args.out,
            output_format,
            since=args.since,
            state_path=args.state,
            lookback_days=args.lookback_days,
            schema=args.schema,
        )
    except (ValueError, duckdb.Error) as error:
        print(f"export_alerts: {error}", file=sys.stderr)
        return 1
    if args.out != "-":
        print(f"{written} alerts written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
