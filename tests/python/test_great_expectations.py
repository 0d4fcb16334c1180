"""Great Expectations validation of a build: real observed values, and no silent pass.

A sound build passes every suite with an observed value behind every
expectation. Copies of that build with a deliberately broken customer_scores
(a score of 150, a duplicated row, a tier nobody defined), with the mart
emptied or a column dropped, and a raw file with a numeric column, must all
fail, and the output must name the expectations that failed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

import validate_data
from conftest import ROOT, Build
from validation_suites import Batch

SCRIPT = ROOT / "scripts" / "validate_data.py"
# The first customer's balanced score, the last customer's balanced tier, and
# one upsell row copied: three faults on three different rows.
BREAK_THE_MART = (
    """
    update marts.customer_scores set score = 150
    where scoring_profile = 'balanced'
        and customer_id = (select min(customer_id) from marts.customer_scores)
    """,
    """
    update marts.customer_scores set tier = 'gold'
    where scoring_profile = 'balanced'
        and customer_id = (select max(customer_id) from marts.customer_scores)
    """,
    """
    insert into marts.customer_scores
    select * from marts.customer_scores where scoring_profile = 'upsell' limit 1
    """,
)


@dataclass
class Validation:
    """What one run of scripts/validate_data.py printed, returned and reported."""

    code: int
    output: str
    report: dict[str, Any]

    def outcomes(self, batch: str | None = None) -> list[dict[str, Any]]:
        return [
            outcome
            for suite in self.report["suites"]
            for each in suite["batches"]
            for outcome in each["outcomes"]
            if batch is None or outcome["batch"] == batch
        ]

    def failing_lines(self) -> list[str]:
        return [line.strip() for line in self.output.splitlines() if ": FAIL (" in line]


def data_dir(build: Build) -> Path:
    return build.database.parent / "data"


def broken_copy(build: Build, folder: Path, *statements: str) -> Path:
    """A copy of the build's DuckDB file with ``statements`` run on it."""
    database = folder / "cbs.duckdb"
    shutil.copy2(build.database, database)
    connection = duckdb.connect(str(database))
    try:
        for statement in statements:
            connection.execute(statement)
    finally:
        connection.close()
    return database


def validate_marts(
    build: Build, database: Path, folder: Path, capsys: pytest.CaptureFixture[str]
) -> Validation:
    """Run the marts suite in this process on ``database``."""
    report = folder / "validation.json"
    argv = ["--database", str(database), "--data-dir", str(data_dir(build))]
    code = validate_data.main([*argv, "--report", str(report), "--suite", "marts"])
    return Validation(code, capsys.readouterr().out, json.loads(report.read_text()))


@pytest.fixture(scope="module")
def sound(generated_build: Build, tmp_path_factory: pytest.TempPathFactory) -> Validation:
    """The command as a user runs it, on the untouched build."""
    report = tmp_path_factory.mktemp("validation") / "validation.json"
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--database",
            str(generated_build.database),
            "--data-dir",
            str(data_dir(generated_build)),
            "--report",
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return Validation(
        result.returncode, result.stdout + result.stderr, json.loads(report.read_text())
    )


def test_a_sound_build_passes_every_suite(sound: Validation) -> None:
    assert sound.code == 0, sound.output[-5000:]
    assert sound.report["success"] is True
    assert [suite["name"] for suite in sound.report["suites"]] == ["sources", "staging", "marts"]
    assert all(suite["expectations"] > 0 for suite in sound.report["suites"])
    assert "Validation passed" in sound.output


def test_every_expectation_reports_an_observed_value(sound: Validation) -> None:
    outcomes = sound.outcomes()
    assert len(outcomes) > 100
    assert {outcome["status"] for outcome in outcomes} == {"PASS"}
    assert all(outcome["observed"].startswith("observed ") for outcome in outcomes)
    # Great Expectations' own result dicts, not only our reading of them.
    for suite in sound.report["suites"]:
        for batch in suite["batches"]:
            results = batch["great_expectations"]["results"]
            assert len(results) == len(batch["outcomes"]), batch["name"]
            for result in results:
                assert not result["exception_info"]["raised_exception"], result
                observed = result["result"]
                assert observed.get("observed_value") is not None or (
                    observed.get("element_count", 0) > 0
                    and observed.get("unexpected_count") is not None
                ), (batch["name"], result["expectation_config"])


def test_the_output_shows_what_was_observed(sound: Validation) -> None:
    lines = sound.output.splitlines()
    score = next(line for line in lines if "customer_scores.score between 0 and 100" in line)
    assert ": PASS (observed min " in score
    assert " unexpected of " in score
    per_profile = next(line for line in lines if "score_rows = stg_customer_rows" in line)
    assert "balanced " in per_profile and "PASS" in per_profile
    assert any("crm__customers.row count at least 1: PASS (observed " in line for line in lines)


def test_a_broken_mart_fails_and_names_the_failures(
    generated_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = broken_copy(generated_build, tmp_path, *BREAK_THE_MART)
    broken = validate_marts(generated_build, database, tmp_path, capsys)

    assert broken.code == 1
    assert broken.report["success"] is False
    failing = broken.failing_lines()
    expected = {
        "customer_scores.score between 0 and 100: FAIL": "150.0",
        "customer_scores.tier in high, medium, low: FAIL": "'gold'",
        "customer_scores.(customer_id, scoring_profile, as_of_date) unique: FAIL": "2 unexpected",
        "customer_scores_rows_per_profile.score_rows = stg_customer_rows: FAIL": "upsell",
    }
    for start, observed in expected.items():
        line = next((line for line in failing if line.startswith(start)), None)
        assert line is not None, f"{start!r} not among the failures:\n{broken.output}"
        assert observed in line, line
    assert "Validation FAILED" in broken.output
    assert all(outcome["status"] != "NO RESULT" for outcome in broken.outcomes())


def test_an_empty_mart_does_not_pass_silently(
    generated_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = broken_copy(generated_build, tmp_path, "delete from marts.customer_scores")
    empty = validate_marts(generated_build, database, tmp_path, capsys)

    assert empty.code == 1
    assert "customer_scores.row count at least 1: FAIL (observed 0)" in empty.output
    row_checks = [
        outcome
        for outcome in empty.outcomes("customer_scores")
        if outcome["expectation_type"] != "expect_table_columns_to_match_ordered_list"
    ]
    assert row_checks and all(outcome["status"] != "PASS" for outcome in row_checks)
    no_rows = [outcome for outcome in row_checks if outcome["status"] == "NO RESULT"]
    assert no_rows and all("checked no rows" in outcome["observed"] for outcome in no_rows)
    assert "without an observed result" in empty.output


def test_an_expectation_that_raises_is_a_failure(
    generated_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = broken_copy(
        generated_build, tmp_path, "alter table marts.customer_scores drop column tier"
    )
    missing = validate_marts(generated_build, database, tmp_path, capsys)

    assert missing.code == 1
    tier = [o for o in missing.outcomes("customer_scores") if o["description"].startswith("tier ")]
    assert tier and all(outcome["status"] == "NO RESULT" for outcome in tier)
    assert all("raised an exception" in outcome["observed"] for outcome in tier)
    assert any(
        line.startswith("customer_scores.columns are the contract's, in order: FAIL")
        for line in missing.failing_lines()
    )


def test_a_raw_file_with_a_numeric_column_fails_and_names_it(
    generated_build: Build, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = shutil.copytree(data_dir(generated_build), tmp_path / "data")
    original = data_dir(generated_build) / "shop__order_lines.parquet"
    connection = duckdb.connect()
    try:
        connection.execute(
            "copy (select * replace (try_cast(line_number as integer) as line_number)"
            f" from read_parquet('{original}'))"
            f" to '{data / 'shop__order_lines.parquet'}' (format parquet)"
        )
    finally:
        connection.close()
    report = tmp_path / "validation.json"
    argv = ["--database", str(generated_build.database), "--data-dir", str(data)]
    code = validate_data.main([*argv, "--report", str(report), "--suite", "sources"])
    output = capsys.readouterr().out

    assert code == 1
    line = next(line for line in output.splitlines() if "column_type in VARCHAR" in line)
    assert ": FAIL (" in line
    assert "'INTEGER'" in line and "shop__order_lines.line_number" in line


@pytest.mark.parametrize(("may_be_empty", "status"), [(True, "EMPTY"), (False, "NO RESULT")])
def test_no_rows_to_check_is_allowed_only_for_an_optional_table(
    may_be_empty: bool, status: str
) -> None:
    batch = Batch("stg_social__engagements", "select 1", (), may_be_empty=may_be_empty)
    result = {
        "success": True,
        "expectation_config": {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "engagement_id"},
            "description": "engagement_id not null",
        },
        "result": {"element_count": 0, "unexpected_count": 0, "unexpected_percent": None},
    }
    outcome = validate_data.judge("staging", batch, pd.DataFrame(), result)
    assert outcome.status == status


@pytest.mark.parametrize(
    ("result", "problem"),
    [
        (
            {
                "success": False,
                "result": {},
                "exception_info": {
                    "raised_exception": True,
                    "exception_message": "list index out of range",
                },
            },
            "raised an exception: list index out of range",
        ),
        (
            {
                "success": False,
                "result": {},
                "exception_info": {
                    "MetricConfigurationID(metric_name='column_values.nonnull.condition')": {
                        "raised_exception": True,
                        "exception_message": 'The column "tier" does not exist.',
                    }
                },
            },
            'raised an exception: The column "tier" does not exist.',
        ),
        ({"success": True, "result": {}, "exception_info": {}}, "without an observed result"),
        ({"success": True, "result": {"observed_value": None}}, "observed value is empty"),
        (
            {"success": True, "result": {"element_count": 0, "unexpected_count": 0}},
            "checked no rows",
        ),
        ({"success": True, "result": {"observed_value": 0}}, None),
    ],
)
def test_results_without_an_observation_are_recognised(
    result: dict[str, Any], problem: str | None
) -> None:
    found = validate_data.missing_observation(result)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
