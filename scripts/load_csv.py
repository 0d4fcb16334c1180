"""Load a folder of CSV exports into the raw source contract (Parquet, all text).

Each file must be named ``<source>__<table>.csv`` after a contract table (see
``scripts/cbs_contract.py``); every contract table without a CSV is written
empty, so the output folder always holds all of them and can be used as
``CBS_DATA_DIR``. Values pass through as text, exactly as written (an empty
field becomes null): bad dates, words in number columns or unknown codes are
staging's to quarantine with a reason, so that raw = kept + duplicates +
quarantined still holds.

What staging cannot see is checked here, and stops the load with a message
naming the file, the line and the problem: a file name that is no contract
table, an empty file, text that is not UTF-8 (or mixes encodings), a NUL
byte, a record with more or fewer fields than the header, a quote never
closed, a missing contract column, a column named twice. Extra columns are
left out with a warning (an error under --strict). Line numbers count
physical lines (CR LF, LF or CR), as an editor shows them. When any file
fails nothing is written, so a failed load never leaves a half-replaced data
folder behind. Each file is read whole into memory.

Usage:
    python scripts/load_csv.py --source exports/ --out data/company
    python scripts/load_csv.py --source exports/ --out data/company --encoding cp1252 --strict
"""

from __future__ import annotations

import argparse
import codecs
import csv
import difflib
import io
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from cbs_contract import file_name, source_tables, write_table

logger = logging.getLogger(__name__)

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The csv module refuses fields over 128 KiB by default; long free text
# (reviews, notes) must arrive whole.
FIELD_SIZE_LIMIT = 2**31 - 1
DELIMITER_HINTS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
# The line breaks the csv module counts in reader.line_num.
LINE_BREAK = re.compile(rb"\r\n|\r|\n")


class LoadError(ValueError):
    """A file the loader cannot turn into a contract table, with where and why."""

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}: line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")


class LoadFailedError(Exception):
    """Every file that failed in one load."""

    def __init__(self, errors: list[LoadError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


@dataclass
class LoadedFile:
    """One CSV read into its contract table, with the warnings it raised."""

    path: Path
    table: str
    rows: pa.Table
    encoding: str
    warnings: list[str] = field(default_factory=list)


def table_for(path: Path) -> str:
    """The contract table a CSV file name stands for, or a LoadError."""
    table = path.name[: -len(path.suffix)] if path.suffix else path.name
    if table in source_tables():
        return table
    close = difflib.get_close_matches(table, source_tables(), n=1)
    hint = f" (did you mean {close[0]}.csv?)" if close else ""
    known = ", ".join(f"{name}.csv" for name in source_tables())
    raise LoadError(
        path,
        f"unknown file name: {table!r} is not a contract table{hint}; "
        f"expected <source>__<table>.csv, one of: {known}",
    )


def line_and_byte(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line number and byte position within that line of a byte offset."""
    breaks = list(LINE_BREAK.finditer(raw, 0, offset))
    line_start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, offset - line_start + 1


def first_utf8_text_line(raw: bytes) -> int | None:
    """Number of the first line holding non-ASCII text that is valid UTF-8."""
    for number, line in enumerate(LINE_BREAK.split(raw), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        return number
    return None


def decode(path: Path, raw: bytes, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding it was read in.

    A UTF-16 byte-order mark or a NUL byte is an error. UTF-8 is tried first
    (a byte-order mark is stripped); ``encoding`` is used only for a file
    that is not valid UTF-8 and has no line that is, since a file mixing
    both cannot be read right in either.
    """
    if raw.startswith(UTF16_BOMS):
        raise LoadError(
            path,
            "the file starts with a UTF-16 byte-order mark; re-export it as UTF-8 "
            "(in Excel: 'CSV UTF-8')",
            line=1,
        )
    if b"\x00" in raw:
        raise LoadError(
            path,
            "the line contains a NUL byte: a UTF-16 file without a byte-order mark, or a "
            "damaged export; re-export the file as UTF-8",
            line=line_and_byte(raw, raw.index(b"\x00"))[0],
        )
    skip = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
    try:
        return raw[skip:].decode("utf-8"), "utf-8-sig" if skip else "utf-8"
    except UnicodeDecodeError as error:
        bad_offset = skip + error.start
    line, byte = line_and_byte(raw, bad_offset)
    line_start = bad_offset - byte + 1
    context = raw[max(line_start, bad_offset - 20) : bad_offset + 10]
    near = context.decode("utf-8", errors="backslashreplace")
    bad = f'byte {byte} (0x{raw[bad_offset]:02X}, near "{near}") is not valid UTF-8'
    utf8_line = first_utf8_text_line(raw[skip:])
    if utf8_line is not None:
        raise LoadError(
            path,
            f"{bad}, but line {utf8_line} is UTF-8: the file mixes encodings; "
            "re-export the whole file as UTF-8",
            line=line,
        )
    if encoding is None:
        raise LoadError(
            path,
            f"{bad}; re-export the file as UTF-8, or pass --encoding with the encoding "
            "the whole file is in (e.g. --encoding cp1252 for a Windows export)",
            line=line,
        )
    try:
        return raw[skip:].decode(encoding), encoding
    except UnicodeDecodeError as error:
        line, byte = line_and_byte(raw, skip + error.start)
        raise LoadError(
            path,
            f"byte {byte} (0x{raw[skip + error.start]:02X}) is valid neither in UTF-8 "
            f"nor in {encoding}; re-export the file as UTF-8",
            line=line,
        ) from None


def check_header(path: Path, table: str, header: list[str], strict: bool) -> list[str]:
    """Warnings about the header; a LoadError when a contract column is missing or doubled."""
    contract = source_tables()[table]
    names = [name.strip() for name in header]
    if not any(names):
        raise LoadError(path, "the header line is blank; the first line must name the columns", 1)
    doubled = sorted({name for name in names if name in contract and names.count(name) > 1})
    if doubled:
        raise LoadError(path, f"columns named more than once in the header: {doubled}", line=1)
    missing = [name for name in contract if name not in names]
    if missing:
        hints = []
        lower = {name.lower(): name for name in names}
        hints += [f"found {lower[m.lower()]!r} for {m!r}" for m in missing if m.lower() in lower]
        if len(names) == 1:
            hints += [
                f"the header seems to be separated by {word}; the file must use commas"
                for mark, word in DELIMITER_HINTS.items()
                if mark in names[0]
            ]
        hint = f" ({'; '.join(hints)}; names are case-sensitive)" if hints else ""
        raise LoadError(path, f"missing contract columns: {', '.join(missing)}{hint}", line=1)
    extra = [
        name or f"(unnamed column {i})" for i, name in enumerate(names, 1) if name not in contract
    ]
    warnings = []
    if extra:
        problem = f"extra columns not in the contract: {', '.join(extra)}"
        if strict:
            raise LoadError(path, f"{problem} (--strict)", line=1)
        warnings.append(f"{path}: line 1: {problem}; left out of the Parquet file")
    return warnings


def csv_problem(error: csv.Error, start: int, end: int) -> tuple[str, int]:
    """A readable problem and its line for a csv module error in the record from ``start``."""
    message = str(error)
    if "unexpected end of data" in message:
        return (
            f"unterminated quoted field: a quote opened in the record starting on line "
            f"{start} is never closed (the rest of the file, to line {end}, would be one value)",
            start,
        )
    if "expected after" in message:
        return (
            'text after a closing quote; a quote inside a quoted value must be doubled ("")',
            end,
        )
    return f"unreadable CSV: {message}", end


def parse(path: Path, table: str, text: str, strict: bool) -> tuple[pa.Table, list[str]]:
    """The contract table of a decoded CSV text and its warnings."""
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise LoadError(path, *csv_problem(error, 1, reader.line_num)) from None
    if header is None:
        raise LoadError(path, "no header line: the file holds only a byte-order mark", line=1)
    warnings = check_header(path, table, header, strict)
    names = [name.strip() for name in header]
    contract = source_tables()[table]
    positions = [names.index(column) for column in contract]
    values: list[list[str | None]] = [[] for _ in contract]
    blank_lines: list[int] = []
    start = reader.line_num + 1
    while True:
        try:
            fields = next(reader, None)
        except csv.Error as error:
            problem, line = csv_problem(error, start, reader.line_num)
            raise LoadError(path, problem, line=line) from None
        if fields is None:
            break
        if not fields:
            blank_lines.append(start)
        elif len(fields) != len(names):
            span = (
                f" (the record runs to line {reader.line_num})" if reader.line_num > start else ""
            )
            raise LoadError(
                path,
                f"{len(fields)} fields where the header has {len(names)}{span}; "
                "a value holding a comma, quote or line break must be quoted",
                line=start,
            )
        else:
            for column_values, position in zip(values, positions, strict=True):
                column_values.append(fields[position] if fields[position] != "" else None)
        start = reader.line_num + 1
    if blank_lines:
        shown = ", ".join(str(line) for line in blank_lines[:10])
        problem = f"{len(blank_lines)} blank lines (lines {shown}) hold no record"
        if strict:
            raise LoadError(path, f"{problem} (--strict)", line=blank_lines[0])
        warnings.append(f"{path}: line {blank_lines[0]}: {problem}; skipped")
    schema = pa.schema([(column, pa.string()) for column in contract])
    arrays = [pa.array(column_values, type=pa.string()) for column_values in values]
    return pa.Table.from_arrays(arrays, schema=schema), warnings


def load_file(path: Path, encoding: str | None = None, strict: bool = False) -> LoadedFile:
    """Read one CSV export into its contract table, or raise a LoadError."""
    table = table_for(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LoadError(path, f"cannot read the file: {error.strerror}") from None
    if not raw:
        raise LoadError(
            path, "empty file (0 bytes); a table without rows still needs its header line", 1
        )
    text, used = decode(path, raw, encoding)
    rows, warnings = parse(path, table, text, strict)
    return LoadedFile(path, table, rows, used, warnings)


def csv_files(source: Path) -> list[Path]:
    """The CSV files of a source folder; other files are ignored (and logged)."""
    if not source.is_dir():
        raise LoadError(source, "source folder not found")
    files = sorted(path for path in source.iterdir() if path.is_file())
    found = [path for path in files if path.suffix.lower() == ".csv"]
    ignored = [path.name for path in files if path.suffix.lower() != ".csv"]
    if ignored:
        logger.info("ignored %d files that are not .csv: %s", len(ignored), ", ".join(ignored))
    if not found:
        raise LoadError(source, "no .csv files in the source folder")
    return found


def load_folder(
    source: Path, out: Path, encoding: str | None = None, strict: bool = False
) -> list[LoadedFile]:
    """Load every CSV of ``source`` and write all contract tables into ``out``.

    Every file is read and checked before anything is written; if any fails,
    a ``LoadFailedError`` lists each failure and ``out`` is left untouched. Tables
    are written to a temporary folder next to the output and moved into place.
    """
    loaded: dict[str, LoadedFile] = {}
    errors: list[LoadError] = []
    for path in csv_files(source):
        try:
            result = load_file(path, encoding, strict)
        except LoadError as error:
            errors.append(error)
            continue
        if result.table in loaded:
            errors.append(
                LoadError(path, f"a second file for {result.table} ({loaded[result.table].path})")
            )
            continue
        loaded[result.table] = result
    if errors:
        raise LoadFailedError(errors)

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".load_csv-", dir=out))
    try:
        for table in source_tables():
            result = loaded.get(table)
            write_table(staging, table, result.rows if result else None)
        for table in source_tables():
            os.replace(staging / file_name(table), out / file_name(table))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return list(loaded.values())


def encoding_name(value: str) -> str:
    """An argparse type: a codec Python knows."""
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {value!r}") from None


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: 0 when every file loaded, 1 when any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, required=True, help="folder of <source>__<table>.csv files"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the Parquet files")
    parser.add_argument(
        "--encoding",
        type=encoding_name,
        help="encoding to read a file in when it is not valid UTF-8, e.g. cp1252 or latin-1 "
        "(the whole file is read in it; a file mixing it with UTF-8 is still an error)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat warnings (extra columns, blank lines) as errors",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    started = time.perf_counter()
    try:
        loaded = load_folder(args.source, args.out, args.encoding, args.strict)
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except LoadFailedError as failure:
        for error in failure.errors:
            print(f"error: {error}", file=sys.stderr)
        print(
            f"error: {len(failure.errors)} file(s) failed; nothing written to {args.out}",
            file=sys.stderr,
        )
        return 1
    by_table = {result.table: result for result in loaded}
    for result in loaded:
        for warning in result.warnings:
            logger.warning(warning)
        if result.encoding not in ("utf-8", "utf-8-sig"):
            logger.info("%s: read as %s (not valid UTF-8)", result.path, result.encoding)
    for table in source_tables():
        result = by_table.get(table)
        origin = f"from {result.path.name}" if result else "no CSV: written empty"
        rows = result.rows.num_rows if result else 0
        print(f"{args.out / file_name(table)}: {rows} rows ({origin})")
    logger.info(
        "loaded %d CSV files, %d rows, in %.2f s",
        len(loaded),
        sum(result.rows.num_rows for result in loaded),
        time.perf_counter() - started,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
