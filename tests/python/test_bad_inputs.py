"""The corpus of bad CSV inputs (tests/bad_inputs): what the loader refuses, what staging does.

Each folder under tests/bad_inputs is one kind of bad input: the CSV files of
the case and an ``expected.yml``. Its ``outcome`` decides what is checked.

- ``error``: ``scripts/load_csv.py`` exits 1 with a message naming ``file``,
  ``line`` (``null``: a file-level problem with no line) and every text in
  ``message_contains``, and writes nothing.
- anything else (``kept``, ``quarantine``, ``key_duplicate``): the loader
  succeeds, with a warning holding each ``warning_contains`` text (no warning
  when none is listed). The rows of all these kinds are then built together
  in ONE real ``dbt build`` (staging, stitching and quality marts with their
  data tests), and for each kind:
  ``fates`` gives, per raw table, how the kind's raw rows ended (row status,
  or the quarantine reason) and how many: every raw row of the kind is listed,
  so nothing can vanish; ``values`` lists rows of a relation picked by
  ``where``, with expected values as text (keys may be SQL expressions).
  A kind's rows are found by their raw record, so kinds never share one.

``args`` are extra loader arguments. ``known_defect`` marks a kind whose
expectation states the right behaviour that staging does not have yet; its
staging test is an expected failure, and turns red once staging is fixed so
that the marker is removed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import load_csv
from cbs_contract import source_tables, write_table
from conftest import ROOT, Build, run_dbt

CORPUS = ROOT / "tests" / "bad_inputs"
KINDS = {
    path.parent.name: yaml.safe_load(path.read_text())
    for path in sorted(CORPUS.glob("*/expected.yml"))
}
DATA_KINDS = sorted(kind for kind, expected in KINDS.items() if expected["outcome"] != "error")
AS_OF_DATE = "2026-01-31"
# The build covers what the checks read: staging, identity stitching and the
# quality marts, with every data test whose parents are all built. Scoring
# on dirty data is covered by test_generated_pipeline; this keeps the file
# near half a minute of CPU on a shared machine.
BUILD_ARGS = [
    "build",
    "--select",
    "+source_row_reconciliation",
    "+identity_match_summary",
    "+quarantined_rows",
    "--indirect-selection",
    "cautious",
]


@dataclass
class LoaderRun:
    """One in-process run of load_csv's command line."""

    code: int
    stdout: str
    stderr: str
    warnings: list[str]
    out: Path


def run_loader(kind: str, out: Path) -> LoaderRun:
    """Run ``load_csv.main`` on a corpus folder, capturing its output and warnings."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect(level=logging.WARNING)
    load_csv.logger.addHandler(handler)
    stdout, stderr = io.StringIO(), io.StringIO()
    args = ["--source", str(CORPUS / kind), "--out", str(out), *KINDS[kind].get("args", [])]
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            code = load_csv.main(args)
    finally:
        load_csv.logger.removeHandler(handler)
    warnings = [record.getMessage() for record in records if record.levelno >= logging.WARNING]
    return LoaderRun(code, stdout.getvalue(), stderr.getvalue(), warnings, out)


def as_text(value: object) -> str | None:
    """An expected value from YAML as the text DuckDB casts a value to."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def raw_record_sql(table: str, parquet: Path) -> str:
    """The raw records of a loaded table, built as staging's cbs_raw_record builds them.

    ``key_text`` is the raw text of the table's first (key) column.
    """
    columns = source_tables()[table]
    fields = ", ".join(f"{column} := {column}" for column in columns)
    return (
        f"select cast(to_json(struct_pack({fields})) as varchar) as raw_record,"
        f" {columns[0]} as key_text from read_parquet('{parquet}')"
    )


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, LoaderRun]:
    """Every corpus folder loaded once, into its own output folder."""
    folder = tmp_path_factory.mktemp("bad_inputs_loaded")
    return {kind: run_loader(kind, folder / kind) for kind in KINDS}


@pytest.fixture(scope="module")
def build(loads: dict[str, LoaderRun], tmp_path_factory: pytest.TempPathFactory) -> Build:
    """One real dbt build over the loaded rows of every data kind together."""
    failed = {kind: loads[kind].stderr for kind in DATA_KINDS if loads[kind].code != 0}
    assert not failed, f"data kinds that did not load: {failed}"
    connection = duckdb.connect()
    clashes = []
    for table in source_tables():
        tagged = " union all ".join(
            f"select '{kind}' as kind, raw_record, key_text"
            f" from ({raw_record_sql(table, loads[kind].out / f'{table}.parquet')})"
            for kind in DATA_KINDS
        )
        # Kinds must not share a raw record (their rows could not be told
        # apart) nor a key (one kind's row would duplicate another's).
        clashes += connection.execute(
            f"""
            select '{table}', value, string_agg(distinct kind, ', ')
            from (
                select kind, raw_record as value from ({tagged})
                union all
                select kind, regexp_replace(lower(trim(key_text)), '\\.0+$', '')
                from ({tagged})
                where nullif(trim(key_text), '') is not null
            )
            group by value
            having count(distinct kind) > 1
            """
        ).fetchall()
    connection.close()
    assert not clashes, f"corpus kinds share raw rows or keys: {clashes}"

    folder = tmp_path_factory.mktemp("bad_inputs_build")
    combined = folder / "raw"
    for table in source_tables():
        parts = [pq.read_table(loads[kind].out / f"{table}.parquet") for kind in DATA_KINDS]
        write_table(combined, table, pa.concat_tables(parts))
    result = run_dbt(
        combined, folder / "cbs.duckdb", BUILD_ARGS, dbt_vars={"cbs_as_of_date": AS_OF_DATE}
    )
    assert result.ok, result.output[-5000:]
    return result


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_loader(kind: str, loads: dict[str, LoaderRun]) -> None:
    """The loader fails where it must, naming file, line and problem, and loads the rest."""
    expected, run = KINDS[kind], loads[kind]
    if expected["outcome"] == "error":
        assert run.code == 1, run.stdout + run.stderr
        errors = [line for line in run.stderr.splitlines() if expected["file"] in line]
        assert len(errors) == 1, run.stderr
        message = errors[0]
        assert message.startswith(f"error: {CORPUS / kind / expected['file']}")
        if expected["line"] is None:
            assert ": line " not in message, message
        else:
            assert f": line {expected['line']}: " in message, message
        for text in expected["message_contains"]:
            assert text in message, message
        assert not run.out.exists(), "a failed load must write nothing"
        return

    assert run.code == 0, run.stderr
    for text in expected.get("warning_contains", []):
        assert any(text in warning for warning in run.warnings), run.warnings
    if not expected.get("warning_contains"):
        assert run.warnings == []
    csv_tables = {path.stem for path in (CORPUS / kind).glob("*.csv")}
    assert set(expected["fates"]) == csv_tables, "fates must list every table the kind loads"
    for table, columns in source_tables().items():
        written = pq.read_table(run.out / f"{table}.parquet")
        assert written.schema == pa.schema([(column, pa.string()) for column in columns])
        expected_rows = sum(expected["fates"].get(table, {}).values())
        assert written.num_rows == expected_rows, table


@pytest.mark.parametrize("kind", DATA_KINDS)
def test_staging(
    kind: str, loads: dict[str, LoaderRun], build: Build, request: pytest.FixtureRequest
) -> None:
    """Each raw row of the kind meets its fate, and the listed values come out as expected."""
    expected = KINDS[kind]
    if expected.get("known_defect"):
        request.applymarker(pytest.mark.xfail(reason=expected["known_defect"], strict=True))
    for table, fates in expected["fates"].items():
        rows = build.query(
            f"""
            with kind_rows as (
                {raw_record_sql(table, loads[kind].out / f"{table}.parquet")}
            )
            select coalesce(quarantine_reason, row_status), count(*)
            from staging.base_{table}
            where raw_record in (select raw_record from kind_rows)
            group by 1
            """
        )
        assert dict(rows) == fates, table
    for check in expected.get("values", []):
        columns = list(check["rows"][0])
        assert all(list(row) == columns for row in check["rows"]), "rows must list the same keys"
        select = ", ".join(f"cast({column} as varchar)" for column in columns)
        conditions, parameters = [], []
        for column, value in check["where"].items():
            if value is None:
                conditions.append(f"{column} is null")
            else:
                conditions.append(f"cast({column} as varchar) = ?")
                parameters.append(as_text(value))
        connection = duckdb.connect(str(build.database), read_only=True)
        try:
            found = connection.execute(
                f"select {select} from {check['relation']} where {' and '.join(conditions)}",
                parameters,
            ).fetchall()
        finally:
            connection.close()
        wanted = [tuple(as_text(row.get(column)) for column in columns) for row in check["rows"]]
        assert Counter(found) == Counter(wanted), (check["relation"], columns)


def test_every_raw_row_is_accounted_for(loads: dict[str, LoaderRun], build: Build) -> None:
    """raw = kept + duplicates + quarantined per table, and raw = every row the loader wrote."""
    loaded = {
        table: sum(
            pq.read_metadata(loads[kind].out / f"{table}.parquet").num_rows for kind in DATA_KINDS
        )
        for table in source_tables()
    }
    rows = build.query(
        "select source_name || '__' || table_name, raw_rows, kept_rows, staged_rows,"
        " kept_rows + exact_duplicate_rows + key_duplicate_rows + quarantined_rows"
        " from marts.source_row_reconciliation"
    )
    assert {row[0] for row in rows} == set(source_tables())
    for table, raw, kept, staged, accounted in rows:
        assert raw == loaded[table], table
        assert raw == accounted, table
        assert staged == kept, table


def test_a_failed_load_leaves_the_output_folder_untouched(tmp_path: Path) -> None:
    """One bad file among good ones: exit 1, and the previous output stays as it was."""
    source = tmp_path / "exports"
    source.mkdir()
    good = CORPUS / "utf8_bom" / "crm__customers.csv"
    (source / "crm__customers.csv").write_bytes(good.read_bytes())
    bad = CORPUS / "malformed_too_few_fields" / "shop__orders.csv"
    (source / "shop__orders.csv").write_bytes(bad.read_bytes())
    out = tmp_path / "out"
    write_table(out, "crm__customers")
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = load_csv.main(["--source", str(source), "--out", str(out)])
    assert code == 1
    assert "shop__orders.csv: line 3: 5 fields where the header has 7" in stderr.getvalue()
    assert f"nothing written to {out}" in stderr.getvalue()
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_command_line_exit_codes(tmp_path: Path) -> None:
    """The script run as a program: exit 1 with the error on stderr, 0 with a line per table."""
    script = [sys.executable, str(ROOT / "scripts" / "load_csv.py")]
    failed = subprocess.run(
        [*script, "--source", str(CORPUS / "encoding_cp1252"), "--out", str(tmp_path / "bad")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert failed.returncode == 1
    assert "crm__customers.csv: line 2: byte 11 (0xE9" in failed.stderr
    loaded = subprocess.run(
        [*script, "--source", str(CORPUS / "utf8_bom"), "--out", str(tmp_path / "good")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert len(loaded.stdout.splitlines()) == len(source_tables())
    assert "crm__customers.parquet: 1 rows (from crm__customers.csv)" in loaded.stdout
