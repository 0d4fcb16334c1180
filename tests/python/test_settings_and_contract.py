"""Bad scoring settings and raw files off the contract stop the build with a clear message."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import run_dbt, write_raw

SELECT = ["build", "--select", "+int_customer_metrics", "--indirect-selection", "cautious"]


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"cbs_window_days": 0}, "var cbs_window_days must be a whole number of days >= 1"),
        (
            {"cbs_half_life_days": -10},
            "var cbs_half_life_days must be empty or a number of days > 0",
        ),
        ({"cbs_as_of_date": "2999-01-01"}, "scoring date 2999-01-01 is after today"),
        ({"cbs_as_of_date": "2024-13-01"}, "'2024-13-01' is not a date"),
    ],
    ids=["empty-window", "negative-half-life", "future-date", "impossible-date"],
)
def test_bad_settings_stop_the_build(tmp_path: Path, dbt_vars: dict, message: str) -> None:
    raw = write_raw(tmp_path / "raw", {"crm__customers": [{"customer_id": "1"}]})
    build = run_dbt(raw, tmp_path / "cbs.duckdb", args=SELECT, dbt_vars=dbt_vars)
    assert not build.ok
    assert message in build.output


def test_a_raw_file_missing_a_contract_column_is_named(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", {"crm__customers": [{"customer_id": "1"}]})
    # Re-write the customers file without its e-mail column.
    table = pq.read_table(raw / "crm__customers.parquet").drop(["email"])
    pq.write_table(table, raw / "crm__customers.parquet")
    build = run_dbt(raw, tmp_path / "cbs.duckdb", args=SELECT)
    assert not build.ok
    assert "raw table crm.customers" in build.output
    assert "lacks contract columns: email" in build.output


def test_a_raw_column_typed_as_a_number_is_read_as_text(tmp_path: Path) -> None:
    raw = write_raw(tmp_path / "raw", {})
    columns = {
        name: pa.array(["x"]) for name in pq.read_schema(raw / "crm__customers.parquet").names
    }
    columns["customer_id"] = pa.array([123], pa.int64())
    pq.write_table(pa.table(columns), raw / "crm__customers.parquet")
    build = run_dbt(raw, tmp_path / "cbs.duckdb", args=SELECT)
    assert build.ok, build.output[-3000:]
    assert build.scalar("select customer_id from staging.stg_crm__customers") == "123"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "var cbs_alert_tier_drop_ranks: must be a whole number >= 1 or empty"),
        (0, "var cbs_alert_tier_drop_ranks: must be a whole number >= 1 or empty"),
        ("abc", "var cbs_alert_tier_drop_ranks: must be a whole number >= 1 or empty"),
        ("", None),
        (2, None),
    ],
    ids=["fraction", "zero", "text", "empty-is-off", "two"],
)
def test_alert_rule_sizes_are_whole_numbers(tmp_path: Path, value: object, message: str) -> None:
    raw = write_raw(tmp_path / "raw", {"crm__customers": [{"customer_id": "1"}]})
    build = run_dbt(
        raw,
        tmp_path / "cbs.duckdb",
        args=["compile", "--select", "score_alerts"],
        dbt_vars={"cbs_alert_tier_drop_ranks": value},
    )
    if message is None:
        assert build.ok, build.output[-3000:]
    else:
        assert not build.ok
        assert message in build.output
