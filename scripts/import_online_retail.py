"""Translate the UCI Online Retail CSV into the project's raw source contract.

Reads the invoice-line CSV (InvoiceNo, StockCode, Description, Quantity,
InvoiceDate, UnitPrice, CustomerID, Country) and writes all nine raw tables as
``<out>/<source>__<table>.parquet``:

- ``shop__order_lines``: one row per CSV row, every row kept, numbered 1, 2, ...
  within its invoice in file order;
- ``shop__orders``: one row per invoice; a number starting with "C" is how the
  format marks a cancellation, so its status is "cancelled";
- ``shop__products``: one row per stock code, as first seen;
- ``crm__customers``: one row per non-empty CustomerID, as first seen;
- every other table empty.

Values keep their text exactly ("17850.0" stays "17850.0", descriptions keep
their padding); an empty CSV field becomes null. InvoiceDate is rewritten to
ISO ``YYYY-MM-DD HH:MM:SS``; it is UK local time, taken as UTC. Only the format
is translated: nothing is cleaned, merged or dropped.

Usage:
    python scripts/import_online_retail.py \
        --source ../shared/data/online_retail/online_retail_sample_first8000.csv \
        --out data/online_retail
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow as pa

from cbs_contract import source_tables, write_table

logger = logging.getLogger(__name__)

EXPECTED_HEADER = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]
ISO_DATE = re.compile(r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2})(:\d{2})?")
US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?")
CURRENCY = "GBP"

Row = dict[str, str]


class SourceFormatError(ValueError):
    """The source file is not laid out as the Online Retail CSV."""


def text_or_null(value: str) -> str | None:
    """An empty CSV field is the format's only way to say "missing"."""
    return value if value != "" else None


def iso_timestamp(value: str) -> str | None:
    """Rewrite an InvoiceDate to ISO form, or return None if unrecognised.

    The UCI spreadsheet export writes month/day/year ("12/1/2010 8:26"); other
    exports already write "2010-12-01 08:26:00". Both become the latter.
    """
    iso = ISO_DATE.fullmatch(value)
    if iso is not None:
        return f"{iso.group(1)}{iso.group(2) or ':00'}"
    us = US_DATE.fullmatch(value)
    if us is not None:
        month, day, year, hour, minute, second = us.groups()
        return f"{year}-{int(month):02d}-{int(day):02d} {int(hour):02d}:{minute}:{second or '00'}"
    return None


def read_rows(path: Path) -> list[Row]:
    """Read every data row of the CSV, failing on a wrong header or row width."""
    if not path.is_file():
        raise FileNotFoundError(f"Online Retail source file not found: {path}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        if header != EXPECTED_HEADER:
            raise SourceFormatError(
                f"{path}: expected the Online Retail header {','.join(EXPECTED_HEADER)!r}, "
                f"found {','.join(header)!r}"
            )
        rows: list[Row] = []
        for fields in reader:
            if len(fields) != len(EXPECTED_HEADER):
                raise SourceFormatError(
                    f"{path}: line {reader.line_num}: expected {len(EXPECTED_HEADER)} fields, "
                    f"found {len(fields)}"
                )
            rows.append(dict(zip(EXPECTED_HEADER, fields, strict=True)))
    return rows


def contract_table(table: str, columns: dict[str, list[str | None]]) -> pa.Table:
    """Build a raw table; contract columns not given are all null."""
    length = len(next(iter(columns.values())))
    arrays = {
        name: pa.array(columns.get(name, [None] * length), type=pa.string())
        for name in source_tables()[table]
    }
    return pa.table(arrays)


def build_order_lines(rows: list[Row]) -> pa.Table:
    """One line per CSV row, numbered within its invoice in file order."""
    position: Counter[str] = Counter()
    line_numbers: list[str | None] = []
    for row in rows:
        position[row["InvoiceNo"]] += 1
        line_numbers.append(str(position[row["InvoiceNo"]]))
    return contract_table(
        "shop__order_lines",
        {
            "order_id": [text_or_null(row["InvoiceNo"]) for row in rows],
            "line_number": line_numbers,
            "product_id": [text_or_null(row["StockCode"]) for row in rows],
            "quantity": [text_or_null(row["Quantity"]) for row in rows],
            "unit_price": [text_or_null(row["UnitPrice"]) for row in rows],
        },
    )


def build_orders(rows: list[Row]) -> pa.Table:
    """One order per invoice, customer and date taken from its first row."""
    first_rows: dict[str, Row] = {}
    seen: dict[str, dict[str, set[str]]] = {"CustomerID": {}, "InvoiceDate": {}}
    for row in rows:
        first_rows.setdefault(row["InvoiceNo"], row)
        for column, values in seen.items():
            values.setdefault(row["InvoiceNo"], set()).add(row[column])
    for column, values in seen.items():
        mixed = sum(1 for texts in values.values() if len(texts) > 1)
        if mixed:
            logger.warning(
                "%d invoices carry different %s values on different rows; "
                "the first row's value is used",
                mixed,
                column,
            )

    invoices = list(first_rows)
    ordered_at: list[str | None] = []
    unparsed = 0
    for invoice in invoices:
        raw = first_rows[invoice]["InvoiceDate"]
        converted = iso_timestamp(raw)
        if converted is None:
            unparsed += 1
        ordered_at.append(converted if converted is not None else text_or_null(raw))
    if unparsed:
        logger.warning(
            "%d invoices have an InvoiceDate in no known form; passed through as written",
            unparsed,
        )
    return contract_table(
        "shop__orders",
        {
            "order_id": [text_or_null(invoice) for invoice in invoices],
            "shop_account_id": [text_or_null(first_rows[i]["CustomerID"]) for i in invoices],
            "status": ["cancelled" if i.startswith("C") else "completed" for i in invoices],
            "ordered_at": ordered_at,
            "currency": [CURRENCY] * len(invoices),
        },
    )


def build_products(rows: list[Row]) -> pa.Table:
    """One product per stock code, name and price from its first occurrence."""
    first_rows: dict[str, Row] = {}
    for row in rows:
        first_rows.setdefault(row["StockCode"], row)
    products = list(first_rows.values())
    return contract_table(
        "shop__products",
        {
            "product_id": [text_or_null(row["StockCode"]) for row in products],
            "product_name": [text_or_null(row["Description"]) for row in products],
            "list_price": [text_or_null(row["UnitPrice"]) for row in products],
            "currency": [CURRENCY] * len(products),
        },
    )


def build_customers(rows: list[Row]) -> pa.Table:
    """One customer per non-empty CustomerID text, country from its first row."""
    first_rows: dict[str, Row] = {}
    for row in rows:
        if row["CustomerID"] != "":
            first_rows.setdefault(row["CustomerID"], row)
    customer_ids = list(first_rows)
    return contract_table(
        "crm__customers",
        {
            "customer_id": customer_ids,
            "shop_account_id": customer_ids,
            "country": [text_or_null(first_rows[c]["Country"]) for c in customer_ids],
        },
    )


def import_online_retail(source: Path, out: Path) -> dict[str, int]:
    """Write all nine raw tables for the Online Retail CSV; return rows per table."""
    rows = read_rows(source)
    without_customer = sum(1 for row in rows if row["CustomerID"] == "")
    logger.info(
        "%s: %d rows, %d without a CustomerID (kept; their orders have no account)",
        source,
        len(rows),
        without_customer,
    )
    tables = {
        "crm__customers": build_customers(rows),
        "shop__orders": build_orders(rows),
        "shop__order_lines": build_order_lines(rows),
        "shop__products": build_products(rows),
    }
    counts: dict[str, int] = {}
    for table in source_tables():
        table_rows = tables.get(table)
        write_table(out, table, table_rows)
        counts[table] = 0 if table_rows is None else table_rows.num_rows
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="path to the Online Retail CSV")
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    started = time.perf_counter()
    try:
        counts = import_online_retail(args.source, args.out)
    except (FileNotFoundError, SourceFormatError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for table, table_rows in counts.items():
        print(f"{args.out / f'{table}.parquet'}: {table_rows} rows")
    logger.info("imported %s in %.2f s", args.source, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
