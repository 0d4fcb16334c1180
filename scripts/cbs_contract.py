"""The raw source contract, read from the dbt source YAML files.

The YAML under models/staging/*/_*__sources.yml is the single definition of
every raw table and its columns; the data generator, the importers and the
tests read it from here instead of repeating the column lists.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAGING_DIR = PROJECT_ROOT / "models" / "staging"


@cache
def source_tables() -> dict[str, list[str]]:
    """Return {"<source>__<table>": [column, ...]} for every declared raw table."""
    tables: dict[str, list[str]] = {}
    for path in sorted(STAGING_DIR.glob("*/_*__sources.yml")):
        document = yaml.safe_load(path.read_text())
        for source in document["sources"]:
            for table in source["tables"]:
                columns = [column["name"] for column in table["columns"]]
                tables[f"{source['name']}__{table['name']}"] = columns
    if not tables:
        raise FileNotFoundError(f"no source YAML found under {STAGING_DIR}")
    return tables


def file_name(table: str) -> str:
    """File name of a raw table in a data folder, e.g. crm__customers.parquet."""
    if table not in source_tables():
        known = ", ".join(sorted(source_tables()))
        raise KeyError(f"unknown raw table {table!r}; known tables: {known}")
    return f"{table}.parquet"


def write_table(folder: Path, table: str, rows: pa.Table | None = None) -> Path:
    """Write one raw table as Parquet with every contract column as text.

    Missing columns are an error; ``rows=None`` writes an empty table, which is
    how a data set without that source still satisfies the contract.
    """
    file_name(table)  # fails with the list of known tables if unknown
    columns = source_tables()[table]
    schema = pa.schema([(name, pa.string()) for name in columns])
    if rows is None:
        rows = schema.empty_table()
    missing = [name for name in columns if name not in rows.column_names]
    if missing:
        raise ValueError(f"{table}: columns missing from the data: {missing}")
    rows = rows.select(columns).cast(schema)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(table)
    pq.write_table(rows, path)
    return path
