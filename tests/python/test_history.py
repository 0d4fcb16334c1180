"""Score history over several runs: late data, full-refresh equivalence, alerts, snapshot.

One module-scoped sequence of builds on tiny generated data (end date
2026-11-30), scoring three dates: FIRST (127 days before the end), SECOND
(a week later) and the END date.

- incremental: run 1 scores FIRST on the data as generated. Then a
  purchase dated FIRST 02:40 arrives late and the CRM export gains a second
  record of one customer with the same key and update time; run 2 scores
  SECOND (and, within the 7-day lookback, FIRST again); run 3 scores END.
- full: one full refresh over the three dates on the final data, then the
  last two dates run again incrementally.

Every run scores over a 90-day window (var cbs_window_days), the length of
the generator's planted silence: on the END date a planted customer's
window is empty. With the default 365-day window the silence is a quarter
of the window and moves some planted scores by a point or two, less than
the week-to-week movement of ordinary customers.

The two chains run side by side (two dbt processes) to keep the module
short; each build selects the history marts and what they are built from,
without the staging and metric tests the rest of the suite runs.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import backfill_scores
import export_alerts
from conftest import ROOT, Build, copy_project, generate, run_dbt

END = date(2026, 11, 30)
FIRST = END - timedelta(days=127)
SECOND = FIRST + timedelta(days=7)
DATES = [FIRST, SECOND, END]
WINDOW_DAYS = 90
LATE_ORDER_ID = "LATE-0001"
LATE_ORDER_TOTAL = 50.0
SELECT_HISTORY = [
    "--select",
    "+path:models/marts/history+",
    "--exclude",
    "resource_type:test,path:models/staging",
    "resource_type:test,path:models/intermediate",
    "resource_type:unit_test",
    # Only tests whose every parent is selected: a singular test that also
    # reads an activation mart (not built here) stays out.
    "--indirect-selection",
    "cautious",
]
WINDOWED_METRICS = [
    "purchase_frequency",
    "interaction_count",
    "product_views",
    "review_count",
    "social_engagement",
]


def dbt_vars(dates: list[date]) -> dict:
    return {
        "cbs_as_of_dates": [day.isoformat() for day in dates],
        "cbs_window_days": WINDOW_DAYS,
    }


@dataclass
class HistoryRuns:
    """What the sequence of builds left behind, for the tests to read."""

    incremental: Build
    full: Build
    manifest: dict
    late_customer_id: str
    duplicated_customer_id: str
    raw_final: Path
    late_customer_after_run_1: tuple
    dates_scored: dict[str, list[date]] = field(default_factory=dict)
    run_2_results: dict = field(default_factory=dict)
    full_history_before_rerun: list[tuple] = field(default_factory=list)
    full_alerts_before_rerun: list[tuple] = field(default_factory=list)
    guarded: Build | None = None


def raw_customer(data: Path, exclude: set[str]) -> dict:
    """A clean raw CRM customer (one record, own shop account, known before FIRST)."""
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            """
            with raw as (select * from read_parquet(?))
            select * from raw
            where regexp_full_match(customer_id, 'C[0-9]{8}')
                and regexp_full_match(shop_account_id, '[0-9]+')
                and try_cast(created_at as timestamptz) < cast(? as timestamptz)
                and try_cast(updated_at as timestamptz) is not null
                and customer_id in (
                    select customer_id from raw group by customer_id having count(*) = 1
                )
                and shop_account_id in (
                    select shop_account_id from raw group by shop_account_id having count(*) = 1
                )
            order by customer_id
            """,
            [str(data / "crm__customers.parquet"), FIRST.isoformat()],
        )
        columns = [column[0] for column in rows.description]
        for row in rows.fetchall():
            record = dict(zip(columns, row, strict=True))
            if record["customer_id"] not in exclude:
                return record
    finally:
        connection.close()
    raise AssertionError("the generated data has no clean customer to use")


def append_rows(path: Path, rows: list[dict]) -> None:
    """Append rows (missing columns NULL) to a raw Parquet table of text columns."""
    table = pq.read_table(path)
    extra = pa.table(
        {name: [row.get(name) for row in rows] for name in table.column_names},
        schema=table.schema,
    )
    pq.write_table(pa.concat_tables([table, extra]), path)


def late_customer_row(build: Build, customer_id: str, day: date) -> tuple:
    return build.query(
        "select purchase_frequency_value, total_spend_value, score"
        " from marts.customer_score_history"
        f" where customer_id = '{customer_id}' and as_of_date = '{day}' and is_default_profile"
    )[0]


def dates_scored(build: Build) -> list[date]:
    """The dates a build scored (int_scoring_dates), in order."""
    return [
        row[0]
        for row in build.query("select as_of_date from intermediate.int_scoring_dates order by 1")
    ]


def side_by_side(*steps: Callable[[], Build]) -> list[Build]:
    """Run independent builds at the same time; every one must pass."""
    with ThreadPoolExecutor(max_workers=len(steps)) as pool:
        builds = list(pool.map(lambda step: step(), steps))
    for build in builds:
        assert build.ok, build.output[-5000:]
    return builds


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> HistoryRuns:
    folder = tmp_path_factory.mktemp("history")
    initial = generate(folder / "raw_initial", size="tiny")
    manifest = json.loads((initial / "_manifest.json").read_text())
    planted = set(manifest["planted_drop_customer_ids"])

    # The final raw data: a purchase dated FIRST 02:40 that arrives after run
    # 1, and a second CRM record of one customer with the same updated_at.
    final = folder / "raw_final"
    shutil.copytree(initial, final)
    late = raw_customer(initial, planted)
    duplicated = raw_customer(initial, planted | {late["customer_id"]})
    append_rows(
        final / "shop__orders.parquet",
        [
            {
                "order_id": LATE_ORDER_ID,
                "shop_account_id": late["shop_account_id"],
                "status": "completed",
                "ordered_at": f"{FIRST}T02:40:00Z",
                "currency": "EUR",
                "order_total": f"{LATE_ORDER_TOTAL:.2f}",
            }
        ],
    )
    append_rows(final / "crm__customers.parquet", [{**duplicated, "last_name": "Duplicate"}])

    incremental_db = folder / "incremental" / "cbs.duckdb"
    full_db = folder / "full" / "cbs.duckdb"
    incremental_db.parent.mkdir()
    full_db.parent.mkdir()

    def run(data: Path, database: Path, dates: list[date], *extra: str) -> Callable[[], Build]:
        return lambda: run_dbt(
            data, database, args=["build", *SELECT_HISTORY, *extra], dbt_vars=dbt_vars(dates)
        )

    incremental, full = side_by_side(
        run(initial, incremental_db, [FIRST]),
        run(final, full_db, DATES, "--full-refresh"),
    )
    result = HistoryRuns(
        incremental=incremental,
        full=full,
        manifest=manifest,
        late_customer_id=late["customer_id"],
        duplicated_customer_id=duplicated["customer_id"],
        raw_final=final,
        late_customer_after_run_1=late_customer_row(incremental, late["customer_id"], FIRST),
    )
    result.dates_scored["run 1"] = dates_scored(incremental)
    result.dates_scored["full refresh"] = dates_scored(full)
    result.full_history_before_rerun = full.query(
        "select * from marts.customer_score_history order by all"
    )
    result.full_alerts_before_rerun = full.query("select * from marts.score_alerts order by all")

    side_by_side(
        run(final, incremental_db, [SECOND]),
        run(final, full_db, [SECOND, END]),
    )
    result.dates_scored["run 2"] = dates_scored(incremental)
    result.run_2_results = json.loads(
        (incremental_db.parent / "target" / "run_results.json").read_text()
    )

    # Case 3 the other way round: a project whose snapshot input does hold a
    # duplicated key, built on a copy of the full history.
    guarded_db = folder / "guarded" / "cbs.duckdb"
    guarded_db.parent.mkdir()
    shutil.copy2(full_db, guarded_db)
    project = duplicating_project(folder / "project")

    def guarded() -> Build:
        return run_dbt(
            final,
            guarded_db,
            args=["build", "--select", "customer_latest_scores+"],
            project_dir=project,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        last_run = pool.submit(run(final, incremental_db, [END]))
        guarded_run = pool.submit(guarded)
        build, result.guarded = last_run.result(), guarded_run.result()
    assert build.ok, build.output[-5000:]
    result.dates_scored["run 3"] = dates_scored(build)
    return result


def duplicating_project(folder: Path) -> Path:
    """A copy of the project whose snapshot input repeats one customer."""
    copy_project(folder)
    shutil.copytree(ROOT / "snapshots", folder / "snapshots")
    model = folder / "models" / "marts" / "history" / "customer_latest_scores.sql"
    sql = model.read_text()
    final_select = "select * from latest_scores\n"
    assert sql.endswith(final_select)
    model.write_text(
        sql.removesuffix(final_select)
        + "select * from latest_scores\nunion all\nselect * from latest_scores"
        " where customer_id = (select min(customer_id) from latest_scores)\n"
    )
    return folder


# (a) Late data and equivalence


def test_a_run_scores_again_the_history_dates_within_the_lookback(runs: HistoryRuns) -> None:
    assert runs.dates_scored["run 1"] == [FIRST]
    # SECOND is 7 days after FIRST: FIRST is scored again.
    assert runs.dates_scored["run 2"] == [FIRST, SECOND]
    # END is 120 days after SECOND, beyond the lookback: END alone.
    assert runs.dates_scored["run 3"] == [END]
    # A full refresh scores only the dates it is given.
    assert runs.dates_scored["full refresh"] == DATES


def test_a_late_purchase_lands_in_the_date_it_belongs_to(runs: HistoryRuns) -> None:
    frequency_before, spend_before, _ = runs.late_customer_after_run_1
    frequency_after, spend_after, _ = late_customer_row(
        runs.incremental, runs.late_customer_id, FIRST
    )
    assert frequency_after == frequency_before + 1
    assert spend_after == pytest.approx(spend_before + LATE_ORDER_TOTAL)


def test_incremental_runs_give_the_same_history_as_a_full_refresh(runs: HistoryRuns) -> None:
    incremental = runs.incremental.query("select * from marts.customer_score_history order by all")
    assert {row[2] for row in incremental} == set(DATES)
    assert incremental == runs.full_history_before_rerun


@pytest.mark.parametrize(
    "mart",
    [
        "marts.score_alerts",
        "marts.customer_score_trends",
        "marts.tier_migration",
        "marts.tier_forecast",
        "marts.customer_latest_scores",
        "intermediate.int_history_tier_sizes",
    ],
)
def test_marts_over_the_history_match_too(runs: HistoryRuns, mart: str) -> None:
    sql = f"select * from {mart} order by all"
    assert runs.incremental.query(sql) == runs.full.query(sql)


# (b) Planted drop


def test_score_drop_alerts_find_every_planted_customer_active_before(runs: HistoryRuns) -> None:
    """With the default thresholds every planted customer raises a score_drop on END.

    Active before: some windowed activity on SECOND, the customer's previous
    scoring date (the generator makes planted customers regulars, so all of
    them are). The default thresholds (15 points, 30 percent) also alert on
    ordinary customers whose one or two orders of the season left the 90-day
    window; the next test raises them to the size of a regular's silence.
    """
    planted = set(runs.manifest["planted_drop_customer_ids"])
    active_before = windowed_activity(runs.incremental, SECOND)
    active_planted = {customer for customer in planted if active_before.get(customer, 0) > 0}
    assert len(active_planted) >= 3, "too few planted customers were active to test anything"
    alerted = {
        row[0]
        for row in runs.incremental.query(
            "select customer_id from marts.score_alerts"
            f" where as_of_date = '{END}' and alert_kind = 'score_drop'"
            f" and previous_as_of_date = '{SECOND}'"
        )
    }
    assert active_planted <= alerted, f"missed: {sorted(active_planted - alerted)}"


# Alert thresholds a team watching its regulars would set: a fall of more
# than 55 points, or a fall from the top tier to the bottom one.
PLANTED_ALERT_VARS = {
    "cbs_alert_drop_points": 55,
    "cbs_alert_drop_percent": "",
    "cbs_alert_tier_drop_ranks": 2,
}


@pytest.fixture(scope="module")
def planted_alerts(runs: HistoryRuns, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """score_alerts rebuilt with PLANTED_ALERT_VARS over a copy of the full history."""
    database = tmp_path_factory.mktemp("planted") / "cbs.duckdb"
    shutil.copy2(runs.full.database, database)
    build = run_dbt(
        runs.raw_final,
        database,
        args=["run", "--select", "score_alerts"],
        dbt_vars={**dbt_vars(DATES), **PLANTED_ALERT_VARS},
    )
    assert build.ok, build.output[-5000:]
    return build


def test_alerts_find_the_planted_customers_and_nobody_else(
    runs: HistoryRuns, planted_alerts: Build
) -> None:
    """Over all three dates, every alert is a planted customer's, on END, and each has one.

    The thresholds sit in a gap of the data, not on an edge of it: every
    planted customer falls at least 5 points more than the 55 needed, and
    no other customer falls within 5 points of it.
    """
    planted = set(runs.manifest["planted_drop_customer_ids"])
    alerts = planted_alerts.query(
        "select customer_id, as_of_date, previous_as_of_date, alert_kind"
        " from marts.score_alerts order by customer_id"
    )
    assert {row[0] for row in alerts} == planted
    assert len(alerts) == len(planted)
    assert {row[1:] for row in alerts} == {(END, SECOND, "score_drop")}

    falls = dict(
        planted_alerts.query(
            "select customer_id, max(-score_change) from ("
            "  select customer_id, score - lag(score) over ("
            "    partition by customer_id order by as_of_date) as score_change"
            "  from marts.customer_score_history where is_default_profile"
            ") group by customer_id"
        )
    )
    threshold = PLANTED_ALERT_VARS["cbs_alert_drop_points"]
    assert min(falls[customer] for customer in planted) >= threshold + 5
    others = [fall for customer, fall in falls.items() if customer not in planted and fall]
    assert max(others) <= threshold - 5


def test_planted_customers_have_an_empty_window_on_the_end_date(runs: HistoryRuns) -> None:
    planted = set(runs.manifest["planted_drop_customer_ids"])
    activity = windowed_activity(runs.incremental, END)
    assert {customer: activity[customer] for customer in planted} == dict.fromkeys(planted, 0)


def test_no_alert_for_a_customer_without_activity_before(runs: HistoryRuns) -> None:
    active_before = windowed_activity(runs.incremental, SECOND)
    alerted = runs.incremental.query(
        f"select customer_id from marts.score_alerts where as_of_date = '{END}'"
    )
    assert alerted
    assert [row[0] for row in alerted if active_before.get(row[0], 0) == 0] == []


def windowed_activity(build: Build, day: date) -> dict[str, float]:
    """Events in the window on ``day`` per customer (default profile)."""
    total = " + ".join(f"{metric}_value" for metric in WINDOWED_METRICS)
    return dict(
        build.query(
            f"select customer_id, {total} from marts.customer_score_history"
            f" where as_of_date = '{day}' and is_default_profile"
        )
    )


# (c) One alert per change


def test_running_the_same_dates_again_raises_no_new_alert(runs: HistoryRuns) -> None:
    alerts_after = runs.full.query("select * from marts.score_alerts order by all")
    assert alerts_after == runs.full_alerts_before_rerun
    assert runs.full.query("select * from marts.customer_score_history order by all") == (
        runs.full_history_before_rerun
    )


def test_one_alert_per_customer_and_date(runs: HistoryRuns) -> None:
    for build in (runs.incremental, runs.full):
        assert build.scalar("select count(*) from marts.score_alerts") > 0
        assert (
            build.query(
                "select customer_id, as_of_date from marts.score_alerts"
                " group by all having count(*) > 1"
            )
            == []
        )


# (d) Snapshot


def test_the_raw_customers_hold_a_duplicated_key(runs: HistoryRuns) -> None:
    rows = pq.read_table(runs.raw_final / "crm__customers.parquet").to_pylist()
    copies = [row for row in rows if row["customer_id"] == runs.duplicated_customer_id]
    assert len(copies) == 2
    assert copies[0]["updated_at"] == copies[1]["updated_at"]


def test_snapshot_keeps_one_current_row_per_customer(runs: HistoryRuns) -> None:
    for build in (runs.incremental, runs.full):
        current = build.query(
            "select customer_id, count(*) from snapshots.customer_tier_snapshot"
            " where dbt_valid_to is null group by customer_id"
        )
        assert current
        assert max(count for _, count in current) == 1
        customers = build.scalar("select count(*) from marts.customer_latest_scores")
        assert len(current) == customers
        assert runs.duplicated_customer_id in {customer for customer, _ in current}


def test_the_key_test_runs_before_the_snapshot(runs: HistoryRuns) -> None:
    results = {result["unique_id"]: result for result in runs.run_2_results["results"]}

    def timing(unique_id: str, step: str) -> str:
        (entry,) = [t for t in results[unique_id]["timing"] if t["name"] == step]
        return entry["started_at"] if step == "compile" else entry["completed_at"]

    (key_test,) = [
        unique_id
        for unique_id in results
        if unique_id.startswith("test.cbs.unique_customer_latest_scores_customer_id")
    ]
    snapshot = "snapshot.cbs.customer_tier_snapshot"
    assert results[key_test]["status"] == "pass"
    assert results[snapshot]["status"] == "success"
    assert timing(key_test, "execute") <= timing(snapshot, "compile")


# Scripts


def test_backfill_scores_every_step_in_one_build() -> None:
    dates = backfill_scores.scoring_dates(date(2026, 1, 4), date(2026, 2, 3), 7)
    assert dates == [date(2026, 1, 4) + timedelta(days=7 * step) for step in range(5)]
    command = backfill_scores.dbt_command(dates, Path("dbt"), Path("."), extra=["--select", "x"])
    assert command[:2] == ["dbt", "build"]
    passed = json.loads(command[command.index("--vars") + 1])
    assert passed == {"cbs_as_of_dates": [day.isoformat() for day in dates]}
    assert command[-2:] == ["--select", "x"]
    with pytest.raises(ValueError, match="every-days"):
        backfill_scores.scoring_dates(date(2026, 1, 4), date(2026, 2, 3), 0)
    with pytest.raises(ValueError, match="before --start"):
        backfill_scores.scoring_dates(date(2026, 2, 3), date(2026, 1, 4), 7)


def test_export_alerts_writes_each_alert_once(runs: HistoryRuns, tmp_path: Path) -> None:
    database = runs.incremental.database
    state = tmp_path / "state.json"
    alerts = runs.incremental.scalar("select count(*) from marts.score_alerts")

    first = tmp_path / "first.jsonl"
    assert (
        export_alerts.main(
            ["--database", str(database), "--state", str(state), "--out", str(first)]
        )
        == 0
    )
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert len(rows) == alerts
    assert json.loads(state.read_text())["exported_through"] == END.isoformat()

    # Nothing new: nothing written.
    second = tmp_path / "second.csv"
    assert (
        export_alerts.main(
            ["--database", str(database), "--state", str(state), "--out", str(second)]
        )
        == 0
    )
    assert second.read_text().splitlines()[1:] == []

    # An alert a late run adds to a recent date is exported on the next run.
    recorded = json.loads(state.read_text())
    forgotten = rows[-1]["alert_id"]
    recorded["recent_alert_ids"].remove(forgotten)
    state.write_text(json.dumps(recorded))
    third = tmp_path / "third.csv"
    assert (
        export_alerts.main(
            ["--database", str(database), "--state", str(state), "--out", str(third)]
        )
        == 0
    )
    exported = list(csv.DictReader(third.open()))
    assert [row["alert_id"] for row in exported] == [forgotten]
    assert exported[0]["is_score_drop"] in {"true", "false"}


def test_export_alerts_never_writes_over_alerts_not_imported(
    runs: HistoryRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = runs.incremental.database
    state = tmp_path / "state.json"
    out = tmp_path / "alerts.csv"
    arguments = ["--database", str(database), "--state", str(state), "--out", str(out)]
    assert export_alerts.main(arguments) == 0
    written = out.read_text()
    state_after_first = state.read_text()
    assert len(written.splitlines()) > 1
    assert out.stat().st_mode & 0o044, "the export is readable by the CRM's import, not 600"

    # The CRM has not picked the file up yet: a second export into it stops.
    assert export_alerts.main(arguments) == 1
    assert "still holds" in capsys.readouterr().err
    assert out.read_text() == written
    assert state.read_text() == state_after_first

    # Once imported and moved away, the next export goes ahead (nothing new).
    out.unlink()
    assert export_alerts.main(arguments) == 0
    assert out.read_text().splitlines()[1:] == []


def test_export_alerts_since_a_date(runs: HistoryRuns, tmp_path: Path) -> None:
    out = tmp_path / "since.csv"
    since = END - timedelta(days=1)
    assert (
        export_alerts.main(
            [
                "--database",
                str(runs.incremental.database),
                "--since",
                since.isoformat(),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    dates = {row["as_of_date"] for row in csv.DictReader(out.open())}
    assert dates == {END.isoformat()}


def test_a_duplicated_key_stops_the_build_before_the_snapshot(runs: HistoryRuns) -> None:
    guarded = runs.guarded
    assert guarded is not None
    assert not guarded.ok
    results = json.loads((guarded.database.parent / "target" / "run_results.json").read_text())
    status = {result["unique_id"]: result["status"] for result in results["results"]}
    (key_test,) = [
        unique_id
        for unique_id in status
        if unique_id.startswith("test.cbs.unique_customer_latest_scores_customer_id")
    ]
    assert status[key_test] == "fail"
    assert status["snapshot.cbs.customer_tier_snapshot"] == "skipped"
    assert (
        guarded.query(
            "select customer_id from snapshots.customer_tier_snapshot"
            " where dbt_valid_to is null group by customer_id having count(*) > 1"
        )
        == []
    )
