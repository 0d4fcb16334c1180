"""Backtest and learned weights: hand-worked figures, readable weights, a seed written only on ask.

Three data sets:

- a hand-made one (four customers, orders only) whose tiers, hit rates,
  lifts and AUCs are worked out below by hand;
- small generated data scored on three dates, for learning weights;
- CDNOW from ../shared/data, skipped where that folder is absent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

import backtest
import learn_weights
from conftest import ROOT, SHARED_DATA, copy_project, generate, write_raw

CDNOW = SHARED_DATA / "cdnow" / "CDNOW_master.txt"


def run_backtest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, dict]:
    """Run backtest.py in-process; return its printed table and its JSON."""
    out = Path(args[args.index("--database") + 1]).with_suffix(".backtest.json")
    assert backtest.main([*args, "--json", str(out)]) == 0
    return capsys.readouterr().out, json.loads(out.read_text())


def run_learn(
    capsys: pytest.CaptureFixture[str], folder: Path, *args: str
) -> tuple[str, dict, Path]:
    """Run learn_weights.py in-process; return its printed text, JSON and --out file."""
    out_json, out_csv = folder / "learn.json", folder / "learned.csv"
    code = learn_weights.main([*args, "--json", str(out_json), "--out", str(out_csv)])
    assert code == 0
    return capsys.readouterr().out, json.loads(out_json.read_text()), out_csv


# --------------------------------------------------------------------------- pure functions


def test_quintiles_give_equal_values_the_same_quintile() -> None:
    assert backtest.quintiles(np.arange(1, 11)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # 5, 10, 10, 10: the three 10s take rank 2, so 1 + floor(5 * 1 / 4) = 2 for all of them.
    assert backtest.quintiles(np.array([5, 10, 10, 10])).tolist() == [1, 2, 2, 2]


def test_top_group_counts_ties_at_the_cut_pro_rata() -> None:
    values = np.array([5, 10, 10, 10])
    bought = np.array([1, 1, 0, 0])
    spend = np.array([0.0, 30.0, 0.0, 0.0])
    # Top 2: no one is above the cut (10); two places go to three tied customers.
    assert backtest.top_group(values, bought, spend, 2) == pytest.approx((1 / 3, 10.0))
    # Top 3 is exactly the tied group.
    assert backtest.top_group(values, bought, spend, 3) == pytest.approx((1 / 3, 10.0))
    assert backtest.top_group(values, bought, spend, 4) == pytest.approx((0.5, 7.5))


def test_rounded_weights_sum_to_exactly_one() -> None:
    rounded = learn_weights.round_to_one(np.array([1.0, 1.0, 1.0]), 3)
    assert rounded.tolist() == [0.334, 0.333, 0.333]
    assert sum(learn_weights.round_to_one(np.array([0.12345, 2.5, 0.0, 7.1]), 3)) == 1.0


def test_training_outcomes_must_be_known_on_the_test_dates() -> None:
    early, late = date(2025, 1, 31), date(2025, 3, 31)
    learn_weights.check_dates([early], [late], 59, allow_overlap=False)
    with pytest.raises(backtest.BacktestError, match="reach past the first test date"):
        learn_weights.check_dates([early], [late], 60, allow_overlap=False)
    learn_weights.check_dates([early], [late], 60, allow_overlap=True)
    with pytest.raises(backtest.BacktestError, match="both in"):
        learn_weights.check_dates([early], [early], 1, allow_overlap=True)


def test_replacing_a_profile_keeps_every_other_byte() -> None:
    header = ",".join(backtest.WEIGHT_COLUMNS)
    text = (
        f"{header}\r\n"
        "a,x,1,rank,higher_is_better,0,one\r\n"
        "b,x,2,rank,higher_is_better,0,two\r\n"
        "b,y,3,rank,higher_is_better,0,three\r\n"
        "c,x,4,rank,higher_is_better,0,four"
    )
    row = {
        "scoring_profile": "b",
        "metric_name": "x",
        "weight": "0.5",
        "normalisation": "rank",
        "direction": "higher_is_better",
        "value_if_missing": "0",
        "description": "new, with a comma",
    }
    replaced = learn_weights.replace_profile(text, "b", [row])
    assert replaced == text.replace(
        "b,x,2,rank,higher_is_better,0,two\r\nb,y,3,rank,higher_is_better,0,three\r\n",
        'b,x,0.5,rank,higher_is_better,0,"new, with a comma"\r\n',
    )
    appended = learn_weights.replace_profile(text, "d", [{**row, "scoring_profile": "d"}])
    assert appended == text + '\r\nd,x,0.5,rank,higher_is_better,0,"new, with a comma"\r\n'


# --------------------------------------------------------------------------- a hand-made case

AS_OF = "2026-01-31"
HORIZON_DAYS = "30"  # 2026-02-01 to 2026-03-02


def order(order_id: str, email: str, at: str, total: str, status: str = "completed") -> dict:
    return {
        "order_id": order_id,
        "customer_email": email,
        "status": status,
        "ordered_at": at,
        "currency": "EUR",
        "order_total": total,
    }


HAND_CUSTOMERS = [
    {"customer_id": customer, "email": f"{customer}@example.com"} for customer in "abcd"
]
HAND_ORDERS = [
    # a: three orders of 10.00, the last late on the as-of day itself (recency 0);
    # buys 25.00 at the first moment of the horizon.
    order("a1", "a@example.com", "2025-11-01 10:00:00", "10.00"),
    order("a2", "a@example.com", "2025-12-01 10:00:00", "10.00"),
    order("a3", "a@example.com", "2026-01-31 23:59:00", "10.00"),
    order("a4", "a@example.com", "2026-02-01 00:00:00", "25.00"),
    # b: two orders, the last 50 days before; only a cancelled order in the horizon.
    order("b1", "b@example.com", "2025-10-01 10:00:00", "10.00"),
    order("b2", "b@example.com", "2025-12-12 10:00:00", "10.00"),
    order("b3", "b@example.com", "2026-02-10 10:00:00", "100.00", status="cancelled"),
    # c: one order 5 days before; buys 15.00 on the horizon's last day.
    order("c1", "c@example.com", "2026-01-26 10:00:00", "10.00"),
    order("c2", "c@example.com", "2026-03-02 23:00:00", "15.00"),
    # d: never bought before; its order comes the first moment after the horizon.
    order("d1", "d@example.com", "2026-03-03 00:00:00", "99.00"),
]


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The hand-made data backtested on 2026-01-31 over 30 days: (database, JSON report)."""
    folder = tmp_path_factory.mktemp("backtest_by_hand")
    raw = write_raw(folder / "raw", {"crm__customers": HAND_CUSTOMERS, "shop__orders": HAND_ORDERS})
    database = folder / "cbs.duckdb"
    out = folder / "report.json"
    args = ["--data-dir", str(raw), "--database", str(database), "--as-of", AS_OF]
    args += ["--horizon-days", HORIZON_DAYS, "--json", str(out)]
    assert backtest.main(args) == 0
    return database, json.loads(out.read_text())


def test_hand_made_tiers_hit_rates_and_lifts(hand_made: tuple[Path, dict]) -> None:
    # Only the order metrics vary, so the balanced shares become 1/3, 1/3,
    # 1/12 and 1/4 (frequency, spend, average order, recency):
    #   a: 100 (1/3 + 1/3 + 0.5/12 + 1/4)                          = 95.8, high
    #   b: 100 ((2/3)/3 + ln 21/ln 30.7/3 + 0.5/12 + 0)             = 56.0, medium
    #   c: 100 ((1/3)/3 + ln 11/ln 30.7/3 + 0.5/12 + 0.5/4)         = 51.1, medium
    #   d: 0, low
    # Two of four bought (a 25.00, c 15.00): hit rate 0.5, average spend 10.00.
    _database, report = hand_made
    assert (report["customers"], report["buyers"]) == (4, 2)
    assert report["hit_rate"] == 0.5
    assert report["average_spend"] == pytest.approx(10.0)
    tiers = {tier["tier"]: tier for tier in report["tiers"]}
    expected = {
        # tier: customers, buyers, hit rate, lift, average spend, spend lift
        "high": (1, 1, 1.0, 2.0, 25.0, 2.5),
        "medium": (2, 1, 0.5, 1.0, 7.5, 0.75),
        "low": (1, 0, 0.0, 0.0, 0.0, 0.0),
    }
    for name, (customers, buyers, hit, lift, spend, spend_lift) in expected.items():
        tier = tiers[name]
        assert (tier["customers"], tier["buyers"]) == (customers, buyers), name
        assert tier["hit_rate"] == pytest.approx(hit), name
        assert tier["hit_rate_lift"] == pytest.approx(lift), name
        assert tier["average_spend"] == pytest.approx(spend), name
        assert tier["spend_lift"] == pytest.approx(spend_lift), name
    assert report["top_tier"] == "high"


def test_hand_made_auc_of_score_and_baselines(hand_made: tuple[Path, dict]) -> None:
    # Buyers a and c, non-buyers b and d: four (buyer, non-buyer) pairs.
    # score a > b > c > d: c below b is the one wrong pair -> 3/4.
    # recency a (0 days) > c (5) > b (50) > d (never): every pair right -> 1.
    # frequency a 3 > b 2 > c 1 > d 0 -> 3/4.
    # RFM: R quintiles d 1, b 2, c 3, a 4; F d 1, c 2, b 3, a 4; M (10.00 each,
    # d none -> 0) d 1, a b c 2; sums a 10, b 7, c 7, d 3: the tie c-b counts
    # one half -> 3.5/4. The top group is one customer (tier high): a for all.
    _database, report = hand_made
    rankings = {ranking["ranking"]: ranking for ranking in report["rankings"]}
    expected_auc = {
        "score (balanced)": 0.75,
        "recency alone": 1.0,
        "frequency alone": 0.75,
        "RFM quintile sum": 0.875,
    }
    assert {name: rankings[name]["auc"] for name in expected_auc} == pytest.approx(expected_auc)
    for ranking in rankings.values():
        assert ranking["top_customers"] == 1
        assert ranking["top_hit_rate"] == 1.0
        assert ranking["top_lift"] == pytest.approx(2.0)
        assert ranking["top_spend_lift"] == pytest.approx(2.5)


def test_hand_made_outcome_window_edges(hand_made: tuple[Path, dict]) -> None:
    database, report = hand_made
    assert (report["outcome_first_day"], report["outcome_last_day"]) == (
        "2026-02-01",
        "2026-03-02",
    )
    connection = duckdb.connect(str(database), read_only=True)
    try:
        frame = backtest.load_customers(connection, "balanced", date(2026, 1, 31), 30, [])
    finally:
        connection.close()
    outcome = dict(zip(frame["customer_id"], frame["spend_after"], strict=True))
    # a's order on the as-of day is history, not outcome; d's comes just too late;
    # b's is cancelled.
    assert outcome == {"a": 25.0, "b": 0.0, "c": 15.0, "d": 0.0}


def test_python_scoring_matches_the_mart(hand_made: tuple[Path, dict]) -> None:
    """learn_weights scores held-out dates in Python; it must agree with customer_scores."""
    database, _report = hand_made
    weights = {
        row["metric_name"]: float(row["weight"])
        for row in backtest.read_weights(ROOT / "seeds" / "scoring_weights.csv")
        if row["scoring_profile"] == "balanced"
    }
    connection = duckdb.connect(str(database), read_only=True)
    try:
        frame = backtest.load_customers(
            connection, "balanced", date(2026, 1, 31), 30, list(weights)
        )
        tiers = backtest.load_tiers(connection)
    finally:
        connection.close()
    scores = learn_weights.score_with(frame, weights)
    assert scores.tolist() == pytest.approx(frame["score"].tolist(), abs=1e-4)
    assert learn_weights.assign_tiers(scores, tiers).tolist() == frame["tier"].tolist()
    b_score = 100 * ((2 / 3) / 3 + math.log(21) / math.log(30.7) / 3 + 0.5 / 12)
    assert dict(zip(frame["customer_id"], scores, strict=True))["b"] == pytest.approx(
        b_score, abs=1e-4
    )


def test_reuses_a_database_scored_for_the_date(
    hand_made: tuple[Path, dict],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    database, report = hand_made
    caplog.set_level("INFO")
    # No --data-dir: the database must be reused, not rebuilt.
    text, again = run_backtest(
        capsys, "--database", str(database), "--as-of", AS_OF, "--horizon-days", HORIZON_DAYS
    )
    assert "reusing" in caplog.text
    assert again["rankings"] == report["rankings"]
    assert "RFM quintile sum" in text
    # Another date is not in the database, so it would need the raw data.
    code = backtest.main(
        ["--database", str(database), "--as-of", "2026-01-30", "--horizon-days", "30"]
    )
    assert code == 1
    assert "--data-dir is required" in caplog.text


# --------------------------------------------------------------------------- generated data

TRAIN_DATES = "2025-08-31,2025-11-30"
TEST_DATE = "2026-05-31"
LEARN_ARGS = ["--train-dates", TRAIN_DATES, "--test-dates", TEST_DATE, "--horizon-days", "90"]
LEARN_ARGS += ["--bootstrap", "5", "--seed", "7"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Generated raw data and a database scored on the train and test dates."""
    folder = tmp_path_factory.mktemp("learn_generated")
    raw = generate(folder / "raw", size="tiny")
    database = folder / "cbs.duckdb"
    code = learn_weights.main(
        ["--data-dir", str(raw), "--database", str(database), *LEARN_ARGS, "--bootstrap", "0"]
    )
    assert code == 0
    return raw, database


def test_learned_weights_are_readable_and_deterministic(
    generated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _raw, database = generated
    args = ["--database", str(database), *LEARN_ARGS]
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    text, report, out_csv = run_learn(capsys, tmp_path / "one", *args)
    text_again, report_again, out_again = run_learn(capsys, tmp_path / "two", *args)
    assert (text, report) == (text_again, report_again)
    assert out_csv.read_bytes() == out_again.read_bytes()
    weights = {row["metric"]: row["learned"] for row in report["weights"]}
    assert all(weight >= 0 for weight in weights.values())
    assert sum(weights.values()) == pytest.approx(1.0, abs=1e-12)
    written = {
        row["metric_name"]: float(row["weight"])
        for row in backtest.read_weights(out_csv)
        if row["scoring_profile"] == "balanced"
    }
    assert written == weights
    test_eval = next(e for e in report["evaluations"] if e["role"] == "test")
    for ranking in test_eval["rankings"]:
        assert ranking["auc"] is None or 0 <= ranking["auc"] <= 1
    assert "current (balanced)" in text and "RFM quintile sum" in text


def test_without_write_the_seed_is_untouched(
    generated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _raw, database = generated
    project = copy_project(tmp_path / "project")
    seed = project / "seeds" / "scoring_weights.csv"
    before = seed.read_bytes()
    args = ["--database", str(database), "--project-dir", str(project), *LEARN_ARGS]
    run_learn(capsys, tmp_path, *args)
    assert seed.read_bytes() == before
    assert (ROOT / "seeds" / "scoring_weights.csv").read_bytes() == before


@pytest.mark.parametrize("profile_name", ["balanced", "learned"])
def test_write_changes_only_the_profiles_rows(
    generated: tuple[Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    profile_name: str,
) -> None:
    _raw, database = generated
    project = copy_project(tmp_path / "project")
    seed = project / "seeds" / "scoring_weights.csv"
    before = seed.read_text().splitlines(keepends=True)
    args = ["--database", str(database), "--project-dir", str(project), *LEARN_ARGS]
    _text, report, _out = run_learn(
        capsys, tmp_path, *args, "--profile-name", profile_name, "--write"
    )
    after = seed.read_text().splitlines(keepends=True)
    learned = {row["metric"]: row["learned"] for row in report["weights"]}
    balanced = [line for line in before if line.startswith("balanced,")]
    others = [line for line in before if not line.startswith("balanced,")]
    new_rows = [line for line in after if line.startswith(f"{profile_name},")]
    assert len(new_rows) == len(balanced)
    for old_line, new_line in zip(balanced, new_rows, strict=True):
        old, new = old_line.split(","), new_line.split(",")
        assert new[1] == old[1]
        assert float(new[2]) == learned[new[1]]
        assert new[3:] == old[3:]  # method, direction, default and description kept
    if profile_name == "balanced":
        assert [line for line in after if not line.startswith("balanced,")] == others
        assert after.index(new_rows[0]) == before.index(balanced[0])
    else:
        assert after[: len(before)] == before
        assert after[len(before) :] == new_rows


def test_learned_weights_plug_into_the_same_scoring(
    generated: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt, scoring with the learned seed rows, gives the figures learn_weights printed."""
    raw, database = generated
    args = ["--database", str(database), *LEARN_ARGS, "--profile-name", "learned"]
    _text, report, out_csv = run_learn(capsys, tmp_path, *args)
    test_eval = next(e for e in report["evaluations"] if e["role"] == "test")
    learned = next(r for r in test_eval["rankings"] if r["ranking"] == "learned (learned)")
    _table, scored = run_backtest(
        capsys,
        "--data-dir",
        str(raw),
        "--database",
        str(tmp_path / "learned.duckdb"),
        "--as-of",
        TEST_DATE,
        "--horizon-days",
        "90",
        "--weights",
        str(out_csv),
        "--profile",
        "learned",
    )
    assert scored["rankings"][0]["auc"] == pytest.approx(learned["auc"], abs=1e-9)
    learned_tiers = test_eval["tiers"]["learned (learned)"]
    assert [tier["customers"] for tier in scored["tiers"]] == [
        tier["customers"] for tier in learned_tiers
    ]
    # The project's own seed was not touched by the run with --weights.
    assert b"learned," not in (ROOT / "seeds" / "scoring_weights.csv").read_bytes()


# --------------------------------------------------------------------------- CDNOW


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CDNOW.exists():
        pytest.skip(f"real data not found at {CDNOW}")
    folder = tmp_path_factory.mktemp("backtest_cdnow")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "import_cdnow.py"),
            "--source",
            str(CDNOW),
            "--out",
            str(folder / "raw"),
        ],
        check=True,
        capture_output=True,
    )
    return folder


def test_cdnow_backtest_and_learned_weights_are_plausible(
    cdnow: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = cdnow / "cbs.duckdb"
    common = ["--data-dir", str(cdnow / "raw"), "--database", str(database), "--currency", "USD"]
    _text, learn_report, _out = run_learn(
        capsys,
        cdnow,
        *common,
        "--train-dates",
        "1997-03-31",
        "--test-dates",
        "1997-09-30",
        "--horizon-days",
        "182",
        "--bootstrap",
        "3",
    )
    weights = [row["learned"] for row in learn_report["weights"]]
    assert min(weights) >= 0 and sum(weights) == pytest.approx(1.0)
    _table, report = run_backtest(capsys, *common, "--as-of", "1997-09-30", "--horizon-days", "182")
    assert report["customers"] == 23_570
    assert 0.1 < report["hit_rate"] < 0.5
    for ranking in report["rankings"]:
        assert 0.5 < ranking["auc"] < 1, ranking
        assert ranking["top_lift"] > 1, ranking
    tiers = {tier["tier"]: tier for tier in report["tiers"]}
    assert sum(tier["customers"] for tier in tiers.values()) == 23_570
    assert tiers["high"]["hit_rate"] > tiers["medium"]["hit_rate"] > tiers["low"]["hit_rate"]
    assert tiers["high"]["hit_rate_lift"] > 1.5
    test_eval = next(e for e in learn_report["evaluations"] if e["role"] == "test")
    for ranking in test_eval["rankings"]:
        assert 0.5 < ranking["auc"] < 1, ranking
