"""Translate the CDNOW master file into the project's raw source contract.

Reads ``CDNOW_master.txt`` (space-aligned columns customer id, YYYYMMDD date,
number of CDs and dollar value; CRLF lines; header with a leading space) and
writes all nine raw tables as ``<out>/<source>__<table>.parquet``:

- ``crm__customers``: one row per distinct customer id, id text kept as written
  ("00001"), the same text as ``shop_account_id``;
- ``shop__orders``: one row per file row, every row kept (exact duplicates and
  $0 purchases included; staging decides about them);
- every other table empty, because CDNOW has no such source.

Only the format is translated: nothing is cleaned, merged or dropped.

Usage:
    python scripts/import_cdnow.py --source ../shared/data/cdnow/CDNOW_master.txt \
        --out data/cdnow
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from cbs_contract import source_tables, write_table

logger = logging.getLogger(__name__)

EXPECTED_HEADER = ("customer_id", "date", "number_of_cds", "dollar_value")
DATE_PATTERN = re.compile(r"(\d{4})(\d{2})(\d{2})")


class SourceFormatError(ValueError):
    """The source file is not laid out as the CDNOW master file."""


@dataclass(frozen=True)
class Purchase:
    """One data line of the master file, fields as written."""

    customer_id: str
    date: str
    number_of_cds: str
    dollar_value: str

    @property
    def order_id(self) -> str:
        """Content-derived key: identical file rows get identical ids."""
        content = " ".join((self.customer_id, self.date, self.number_of_cds, self.dollar_value))
        digest = hashlib.md5(content.encode("utf-8"), usedforsecurity=False).hexdigest()
        return f"{self.customer_id}-{self.date}-{digest[:10]}"

    @property
    def ordered_at(self) -> str:
        """The YYYYMMDD date as an ISO timestamp at midnight."""
        match = DATE_PATTERN.fullmatch(self.date)
        if match is None:  # read_purchases only lets 8-digit dates through
            raise ValueError(f"not a YYYYMMDD date: {self.date!r}")
        year, month, day = match.groups()
        return f"{year}-{month}-{day} 00:00:00"


def read_purchases(path: Path) -> list[Purchase]:
    """Read every data line of the master file, failing on a wrong layout."""
    if not path.is_file():
        raise FileNotFoundError(f"CDNOW source file not found: {path}")
    text = path.read_text(encoding="utf-8")
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    if not lines or tuple(lines[0].split()) != EXPECTED_HEADER:
        found = lines[0] if lines else ""
        raise SourceFormatError(
            f"{path}: expected the CDNOW header {' '.join(EXPECTED_HEADER)!r}, "
            f"found {found.strip()!r}"
        )
    purchases: list[Purchase] = []
    blank_lines = 0
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if not fields:
            blank_lines += 1
            continue
        if len(fields) != len(EXPECTED_HEADER) or not DATE_PATTERN.fullmatch(fields[1]):
            raise SourceFormatError(
                f"{path}: line {number}: expected customer id, YYYYMMDD date, "
                f"number of CDs and dollar value, found {line.strip()!r}"
            )
        purchases.append(Purchase(*fields))
    # The file ends with a line break, so one empty trailing line is normal.
    if blank_lines > 1:
        logger.warning("%s: %d blank lines skipped", path, blank_lines)
    return purchases


def contract_table(table: str, columns: dict[str, list[str | None]]) -> pa.Table:
    """Build a raw table; contract columns not given are all null."""
    length = len(next(iter(columns.values())))
    arrays = {
        name: pa.array(columns.get(name, [None] * length), type=pa.string())
        for name in source_tables()[table]
    }
    return pa.table(arrays)


def build_tables(purchases: list[Purchase]) -> dict[str, pa.Table]:
    """Map purchases onto the raw tables CDNOW can fill."""
    customer_ids = list(dict.fromkeys(purchase.customer_id for purchase in purchases))
    customers = contract_table(
        "crm__customers",
        {"customer_id": customer_ids, "shop_account_id": customer_ids},
    )
    count = len(purchases)
    orders = contract_table(
        "shop__orders",
        {
            "order_id": [purchase.order_id for purchase in purchases],
            "shop_account_id": [purchase.customer_id for purchase in purchases],
            "status": ["completed"] * count,
            "ordered_at": [purchase.ordered_at for purchase in purchases],
            "currency": ["USD"] * count,
            "order_total": [purchase.dollar_value for purchase in purchases],
        },
    )
    return {"crm__customers": customers, "shop__orders": orders}


def import_cdnow(source: Path, out: Path) -> dict[str, int]:
    """Write all nine raw tables for the CDNOW file; return rows per table."""
    purchases = read_purchases(source)
    tables = build_tables(purchases)
    distinct_orders = len({purchase.order_id for purchase in purchases})
    logger.info(
        "%s: %d purchases, %d repeat an earlier line exactly (kept for staging)",
        source,
        len(purchases),
        len(purchases) - distinct_orders,
    )
    counts: dict[str, int] = {}
    for table in source_tables():
        rows = tables.get(table)
        write_table(out, table, rows)
        counts[table] = 0 if rows is None else rows.num_rows
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="path to CDNOW_master.txt")
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    started = time.perf_counter()
    try:
        counts = import_cdnow(args.source, args.out)
    except (FileNotFoundError, SourceFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for table, rows in counts.items():
        print(f"{args.out / f'{table}.parquet'}: {rows} rows")
    logger.info("imported %s in %.2f s", args.source, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
