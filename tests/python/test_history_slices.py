"""The marts over the score history read only the dates a run changed.

A run rewrites the history from its earliest scoring date on; score_alerts
and tier_migration recompute their rows from that date, reading back only
the history dates those rows compare with (alerts: the baseline's four and
one more), trends read the last six dates, the latest scores the dates
written. With ten weekly dates, more than any of them reads back, a
sequence of daily runs and then a backfill of a date in the middle must
give every row that one full refresh over the same dates gives.

Tiny generated data, 90-day windows and the default alert thresholds, so
the weeks move scores and tiers and raise alerts of every kind.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from test_history import SELECT_HISTORY, WINDOW_DAYS, dates_scored, side_by_side

from conftest import Build, generate, run_dbt

END = date(2026, 11, 29)
WEEKS = [END - timedelta(days=7 * back) for back in range(9, -1, -1)]
MIDDLE = WEEKS[4] + timedelta(days=3)
HISTORY_MARTS = [
    "marts.customer_score_history",
    "intermediate.int_history_tier_sizes",
    "marts.score_alerts",
    "marts.tier_migration",
    "marts.tier_forecast",
    "marts.customer_score_trends",
    "marts.customer_latest_scores",
]


def build(data: Path, database: Path, dates: list[date], *extra: str) -> Build:
    dbt_vars = {"cbs_as_of_dates": [d.isoformat() for d in dates], "cbs_window_days": WINDOW_DAYS}
    return run_dbt(data, database, args=["build", *SELECT_HISTORY, *extra], dbt_vars=dbt_vars)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build, list[list[date]]]:
    folder = tmp_path_factory.mktemp("history_slices")
    data = generate(folder / "data", size="tiny", end_date=END.isoformat())
    incremental_db, full_db = folder / "incremental" / "cbs.duckdb", folder / "full" / "cbs.duckdb"
    incremental_db.parent.mkdir()
    full_db.parent.mkdir()

    # The full refresh runs beside the first incremental build.
    first, full = side_by_side(
        lambda: build(data, incremental_db, WEEKS[:8]),
        lambda: build(data, full_db, [*WEEKS, MIDDLE], "--full-refresh"),
    )
    runs = [dates_scored(first)]
    for dates in ([WEEKS[8]], [WEEKS[9]], [MIDDLE]):
        result = build(data, incremental_db, dates)
        assert result.ok, result.output[-5000:]
        runs.append(dates_scored(result))
    return result, full, runs


def test_each_run_rewrote_what_it_should(built: tuple[Build, Build, list[list[date]]]) -> None:
    _, _, runs = built
    # A daily run scores its date and the previous week again (7-day
    # lookback); the backfill scores the middle date and the week before it.
    assert runs == [WEEKS[:8], WEEKS[7:9], WEEKS[8:10], [WEEKS[4], MIDDLE]]


@pytest.mark.parametrize("mart", HISTORY_MARTS)
def test_incremental_marts_equal_a_full_refresh(
    built: tuple[Build, Build, list[list[date]]], mart: str
) -> None:
    incremental, full, _ = built
    sql = f"select * from {mart} order by all"
    rows = full.query(sql)
    assert rows, f"{mart} is empty: the comparison would prove nothing"
    assert incremental.query(sql) == rows


def test_the_weeks_raise_alerts_across_the_slices(
    built: tuple[Build, Build, list[list[date]]],
) -> None:
    incremental, _, _ = built
    kinds = dict(
        incremental.query("select alert_kind, count(*) from marts.score_alerts group by 1")
    )
    # Every rule has something to get right, on dates before and after the
    # slices start.
    assert set(kinds) == {"score_drop", "baseline_drop", "tier_drop"}
    dates = {
        row[0] for row in incremental.query("select distinct as_of_date from marts.score_alerts")
    }
    assert min(dates) < WEEKS[3] and max(dates) == END
