"""Validate a CBS build with Great Expectations and print what was observed.

Runs the suites of scripts/validation_suites.py (sources, staging, marts) on
pandas DataFrames read from the raw Parquet files and the DuckDB file, which
is opened read-only. Great Expectations validates the DataFrames, not the
DuckDB file over SQL: that route returned empty metrics here, and a check
that observes nothing must never count as a pass.

Every expectation gets one line with the values Great Expectations observed:

    customer_scores.score between 0 and 100: PASS (observed min 0.0, max 98.9887,
    0 unexpected of 5,991)

The command exits 1 when an expectation fails, and also when one comes back
without an observed result (an exception, no row counts, or no rows to check
in a table that must hold rows). Only the tables of a behaviour source a
company may lack are allowed to be empty; their checks say so (EMPTY).

    python scripts/validate_data.py --database cbs.duckdb --data-dir data/demo \\
        --report reports/validation.json
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core import ExpectationSuiteValidationResult
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)

from validation_suites import SUITES, Batch, Reference

logger = logging.getLogger(__name__)

PASS, FAIL, NO_RESULT, EMPTY = "PASS", "FAIL", "NO RESULT", "EMPTY"
FAILING = (FAIL, NO_RESULT)
SHOWN_VALUES = 5
LISTED_PAIR_ROWS = 3


@dataclass
class Outcome:
    """The verdict on one expectation, with what was observed, as the report prints it."""

    suite: str
    batch: str
    description: str
    expectation_type: str
    status: str
    observed: str

    @property
    def line(self) -> str:
        return f"{self.batch}.{self.description}: {self.status} ({self.observed})"


@dataclass
class BatchReport:
    """One validated DataFrame: its outcomes and Great Expectations' own result."""

    name: str
    rows: int | None
    outcomes: list[Outcome] = field(default_factory=list)
    great_expectations: dict[str, Any] | None = None


@dataclass
class SuiteReport:
    """One suite's batches and how long they took."""

    name: str
    seconds: float = 0.0
    batches: list[BatchReport] = field(default_factory=list)

    @property
    def outcomes(self) -> list[Outcome]:
        return [outcome for batch in self.batches for outcome in batch.outcomes]

    def count(self, *statuses: str) -> int:
        return sum(outcome.status in statuses for outcome in self.outcomes)


# --- reading -----------------------------------------------------------------


def read_reference(connection: duckdb.DuckDBPyConnection, data_dir: Path) -> Reference:
    """Tier names, weight profiles and currencies as the build's seeds hold them."""

    def column(sql: str) -> tuple[str, ...]:
        return tuple(row[0] for row in connection.execute(sql).fetchall())

    return Reference(
        data_dir=data_dir,
        tiers=column("select tier_name from config.score_tiers order by tier_rank"),
        profiles=column("select distinct scoring_profile from config.scoring_weights order by 1"),
        currencies=column("select currency_code from config.currency_rates order by 1"),
    )


def read_frame(connection: duckdb.DuckDBPyConnection, batch: Batch) -> pd.DataFrame:
    """The batch's rows as a pandas DataFrame."""
    return connection.execute(batch.query).df()


# --- running Great Expectations ---------------------------------------------


def new_context() -> AbstractDataContext:
    """An in-memory Great Expectations context: no files, no analytics, no progress bars."""
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def run_batch(
    context: AbstractDataContext, suite: str, batch: Batch, frame: pd.DataFrame
) -> ExpectationSuiteValidationResult:
    """Validate one DataFrame against the batch's expectations."""
    name = f"{suite}.{batch.name}"
    expectations = [
        expectation.copy(update={"meta": {**(expectation.meta or {}), "position": index}})
        for index, expectation in enumerate(batch.expectations)
    ]
    asset = context.data_sources.get("cbs").add_dataframe_asset(name=name)
    batch_definition = asset.add_batch_definition_whole_dataframe(name)
    expectation_suite = context.suites.add(
        gx.ExpectationSuite(name=name, expectations=expectations)
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch_definition, suite=expectation_suite)
    )
    return validation.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")


# --- judging and describing results -----------------------------------------


def raised_exceptions(result: dict[str, Any]) -> list[str]:
    """Messages of the exceptions behind a result.

    Great Expectations gives one exception_info, or one per failed metric
    keyed by the metric's id.
    """
    info = result.get("exception_info") or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    messages = [
        str(each.get("exception_message"))
        for each in infos
        if isinstance(each, dict) and each.get("raised_exception")
    ]
    return list(dict.fromkeys(messages))


def missing_observation(result: dict[str, Any]) -> str | None:
    """Why an expectation result observed nothing, or None when it did observe."""
    exceptions = raised_exceptions(result)
    if exceptions:
        return f"raised an exception: {'; '.join(exceptions)}"
    if result.get("success") is None:
        return "came back without an outcome"
    observed = result.get("result") or {}
    if not observed:
        return "came back without an observed result"
    if "observed_value" in observed:
        return None if observed["observed_value"] is not None else "observed value is empty"
    if observed.get("element_count") is None or observed.get("unexpected_count") is None:
        return "came back without row counts"
    if observed["element_count"] == 0:
        return "checked no rows: the table is empty"
    return None


def show(value: Any, quote: bool = False) -> str:
    """A value as the report prints it: thousands separated, lists shortened."""
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return str(value) if math.isnan(value) else str(round(value, 4) + 0.0)
    if isinstance(value, list | tuple):
        shown = [show(item, quote=True) for item in value[:SHOWN_VALUES]]
        if len(value) > SHOWN_VALUES:
            shown.append(f"... {len(value):,} in all")
        return "[" + ", ".join(shown) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v, quote=True)}" for k, v in value.items()) + "}"
    return repr(str(value)) if quote else str(value)


def range_text(frame: pd.DataFrame, column: str) -> str | None:
    """min and max of a column's non-null values."""
    if column not in frame.columns:
        return None
    values = frame[column].dropna()
    return f"min {show(values.min())}, max {show(values.max())}" if len(values) else None


def pairs_text(frame: pd.DataFrame, label: str, column_a: str, column_b: str) -> str | None:
    """The compared pairs by label; beyond a few rows, the totals and the rows that differ."""
    if not {label, column_a, column_b} <= set(frame.columns):
        return None
    rows = frame[[label, column_a, column_b]]
    if len(rows) > LISTED_PAIR_ROWS:
        different = rows[rows[column_a] != rows[column_b]]
        totals = f"totals {show(rows[column_a].sum())} = {show(rows[column_b].sum())}"
        if different.empty:
            return totals
        rows = different
        prefix = f"{totals}; differing: "
    else:
        prefix = ""
    listed = ", ".join(
        f"{row[0]} {show(row[1])} = {show(row[2])}" for row in rows.itertuples(False)
    )
    return prefix + listed


def labels_text(frame: pd.DataFrame, label: str, observed: dict[str, Any]) -> str:
    """The unexpected rows named by their label column."""
    index = observed.get("partial_unexpected_index_list") or []
    if label not in frame.columns or not index:
        return "rows not named"
    return show([frame.loc[position, label] for position in index])


def observed_text(result: dict[str, Any], frame: pd.DataFrame) -> str:
    """What Great Expectations observed for one expectation, in words."""
    observed = result.get("result") or {}
    config = result["expectation_config"]
    kwargs = config.get("kwargs", {})
    kind = config["type"]
    if "observed_value" in observed:
        text = f"observed {show(observed['observed_value'])}"
        mismatched = (observed.get("details") or {}).get("mismatched")
        return f"{text}; mismatched {show(mismatched)}" if mismatched else text
    parts = []
    if kind == "expect_column_values_to_be_between":
        parts.append(range_text(frame, kwargs["column"]))
    label = (config.get("meta") or {}).get("label_column")
    if label and kind == "expect_column_pair_values_to_be_equal":
        parts.append(pairs_text(frame, label, kwargs["column_A"], kwargs["column_B"]))
    unexpected, rows = observed["unexpected_count"], observed["element_count"]
    parts.append(f"{unexpected:,} unexpected of {rows:,}")
    missing = observed.get("missing_count") or 0
    if missing and kind != "expect_column_values_to_not_be_null":
        parts.append(f"{missing:,} null not checked")
    mostly, share = kwargs.get("mostly"), observed.get("unexpected_percent")
    if mostly is not None and mostly < 1 and share is not None:
        parts.append(f"{share:.1f}% unexpected where {1 - mostly:.0%} is allowed")
    if unexpected and kind != "expect_column_pair_values_to_be_equal":
        parts.append(f"e.g. {show(observed.get('partial_unexpected_list') or [])}")
        if label:
            parts.append(f"in {labels_text(frame, label, observed)}")
    return "observed " + ", ".join(part for part in parts if part)


def judge(suite: str, batch: Batch, frame: pd.DataFrame, result: dict[str, Any]) -> Outcome:
    """PASS, FAIL, NO RESULT (counts as failed) or EMPTY (an optional table with no rows)."""
    config = result["expectation_config"]
    problem = missing_observation(result)
    if problem is None:
        status = PASS if result["success"] else FAIL
        observed = observed_text(result, frame)
    elif batch.may_be_empty and frame.empty:
        status, observed = EMPTY, "nothing to check: this optional table has no rows"
    else:
        status, observed = NO_RESULT, problem
    description = config.get("description") or config["type"]
    return Outcome(suite, batch.name, description, config["type"], status, observed)


def unreadable(suite: str, batch: Batch, error: Exception) -> Outcome:
    """The outcome of a batch whose data could not be read: nothing was checked."""
    first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
    return Outcome(suite, batch.name, "read", "read", NO_RESULT, f"could not read: {first_line}")


# --- the run -----------------------------------------------------------------


def validate_batch(
    context: AbstractDataContext,
    connection: duckdb.DuckDBPyConnection,
    suite: str,
    batch: Batch,
) -> BatchReport:
    """Read one batch, validate it and judge every expectation."""
    try:
        frame = read_frame(connection, batch)
    except duckdb.Error as error:
        logger.error("%s.%s: %s", suite, batch.name, error)
        return BatchReport(batch.name, None, [unreadable(suite, batch, error)])
    result = run_batch(context, suite, batch, frame).to_json_dict()
    by_position = sorted(
        result["results"], key=lambda item: item["expectation_config"]["meta"]["position"]
    )
    outcomes = [judge(suite, batch, frame, item) for item in by_position]
    return BatchReport(batch.name, len(frame), outcomes, result)


def validate_suite(
    context: AbstractDataContext,
    connection: duckdb.DuckDBPyConnection,
    reference: Reference,
    name: str,
) -> SuiteReport:
    """Run every batch of one suite, printing each outcome as it comes."""
    started = time.monotonic()
    report = SuiteReport(name)
    batches = SUITES[name](reference)
    print(
        f"\nSuite {name}: {len(batches)} batches, {sum(len(b.expectations) for b in batches)}"
        " expectations"
    )
    for batch in batches:
        batch_report = validate_batch(context, connection, name, batch)
        rows = "unreadable" if batch_report.rows is None else f"{batch_report.rows:,} rows"
        print(f"  {batch.name} ({rows})")
        for outcome in batch_report.outcomes:
            print(f"    {outcome.line}")
        report.batches.append(batch_report)
    report.seconds = time.monotonic() - started
    return report


def print_summary(reports: list[SuiteReport], seconds: float) -> bool:
    """Print counts per suite and every failing line; return whether all passed."""
    print("\nSummary")
    for report in reports:
        print(
            f"  {report.name:<8} {len(report.outcomes):>4} expectations"
            f"  {report.count(PASS):>4} passed  {report.count(FAIL):>3} failed"
            f"  {report.count(NO_RESULT):>3} without a result"
            f"  {report.count(EMPTY):>3} on empty optional tables  {report.seconds:5.1f} s"
        )
    outcomes = [outcome for report in reports for outcome in report.outcomes]
    failed = sum(outcome.status == FAIL for outcome in outcomes)
    silent = sum(outcome.status == NO_RESULT for outcome in outcomes)
    empty = sum(outcome.status == EMPTY for outcome in outcomes)
    if not failed and not silent:
        print(f"Validation passed in {seconds:.1f} s: every expectation observed its data", end="")
        print(f", except {empty} on empty optional tables." if empty else ".")
        return True
    print(
        f"Validation FAILED in {seconds:.1f} s: {failed} failed, {silent} without an observed"
        " result (a check that observed nothing is not a pass):"
    )
    for outcome in outcomes:
        if outcome.status in FAILING:
            print(f"  {outcome.suite}: {outcome.line}")
    return False


def json_safe(value: Any) -> Any:
    """A JSON-safe copy: non-finite floats become null, unknown objects text."""
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def write_report(
    path: Path, database: Path, data_dir: Path, reports: list[SuiteReport], passed: bool
) -> None:
    """Write every outcome and Great Expectations' result dicts as JSON."""
    document = {
        "database": str(database),
        "data_dir": str(data_dir),
        "great_expectations_version": gx.__version__,
        "success": passed,
        "suites": [
            {
                "name": report.name,
                "seconds": round(report.seconds, 2),
                "expectations": len(report.outcomes),
                "failed": report.count(*FAILING),
                "batches": [asdict(batch) for batch in report.batches],
            }
            for report in reports
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_safe(document), indent=2, allow_nan=False) + "\n")
    logger.info("wrote the validation report to %s", path)


def validate(database: Path, data_dir: Path, suites: list[str], report: Path | None) -> bool:
    """Run the suites on a build; print every outcome; return whether all passed."""
    started = time.monotonic()
    connection = duckdb.connect(str(database), read_only=True)
    try:
        reference = read_reference(connection, data_dir)
        context = new_context()
        context.data_sources.add_pandas(name="cbs")
        print(
            f"Great Expectations {gx.__version__} on {database} (raw data {data_dir});"
            f" tiers {', '.join(reference.tiers)}; profiles {', '.join(reference.profiles)}"
        )
        reports = [validate_suite(context, connection, reference, name) for name in suites]
    finally:
        connection.close()
    passed = print_summary(reports, time.monotonic() - started)
    if report is not None:
        write_report(report, database, data_dir, reports, passed)
    return passed


def main(argv: list[str] | None = None) -> int:
    """Entry point: exit 0 only when every expectation passed with an observed result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, required=True, help="DuckDB file of the build")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CBS_DATA_DIR", "data/demo")),
        help="folder of the raw Parquet files the build read (default: $CBS_DATA_DIR or data/demo)",
    )
    parser.add_argument("--report", type=Path, help="write the full results as JSON here")
    parser.add_argument(
        "--suite",
        action="append",
        choices=list(SUITES),
        help="run only this suite (repeatable; default: all)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    # Great Expectations logs its internals at INFO; keep its warnings only.
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    if not args.database.is_file():
        logger.error("no DuckDB file at %s: build first (make demo)", args.database)
        return 1
    if not args.data_dir.is_dir():
        logger.error("no raw data folder at %s: pass --data-dir", args.data_dir)
        return 1
    suites = args.suite or list(SUITES)
    try:
        passed = validate(args.database, args.data_dir, suites, args.report)
    except duckdb.Error as error:
        logger.error("cannot read the build in %s: %s", args.database, error)
        return 1
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
