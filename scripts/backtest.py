"""Backtest a weight profile: score customers as of a past date, then see who bought.

Builds the dbt project for the as-of date (``dbt build`` of customer_scores
and everything upstream), or reuses a database already scored for that
date with the same weights, currency, window and half-life (it cannot tell
which raw data a database came from: use a new --database for new data),
and measures what every scored customer did in the horizon that follows.
The outcome is read from the kept orders (intermediate.int_orders_stitched):
a customer *bought* when they have a completed order with ordered_at at or
after the end of the as-of day and before the end of day as-of + horizon;
their *spend* is the sum of those orders in the base currency (0 for
non-buyers).

Reported:

- per tier of the profile's score: customers, buyers, hit rate (share who
  bought), average spend per customer, and both as a lift over the whole
  scored population;
- per ranking, the score and three baselines computed from the same as-of
  metrics: AUC of "bought in the horizon" (sklearn.metrics.roc_auc_score;
  ties count one half) and the hit rate, spend and lift of the top group,
  the N best-ranked customers where N is the size of the score's top tier.

Baselines:

- recency alone: days since the last completed order, fewer is better;
  a customer who never bought ranks last;
- frequency alone: completed orders in the trailing window;
- RFM quintile sum: R, F and M each cut into quintiles 1 (worst) to 5
  (best), summed (3 to 15). M, monetary value, is the product's own
  definition: the mean of all completed orders in the window with the
  first order included (one order of 50.00 gives 50.00; 10.00 then 30.00
  gives 20.00), not the repeat-purchase-only mean some libraries use; no
  order in the window counts as 0. Quintile = 1 + floor(5 (r - 1) / n), r
  the rank from worst to best where tied values all take the lowest rank
  of their group and n the number of customers: equal values always share
  a quintile, so with many ties quintiles differ in size and some are
  empty.

Customers tied at the top-group cut count pro rata: the group's hit rate
is what random tie-breaking gives on average, so it never depends on row
order.

Usage:
    python scripts/backtest.py --data-dir data/cdnow --as-of 1997-09-30 \\
        --horizon-days 182 --currency USD --database /tmp/cdnow.duckdb \\
        [--profile balanced] [--weights weights.csv] [--json backtest.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import roc_auc_score

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
WEIGHT_COLUMNS = (
    "scoring_profile",
    "metric_name",
    "weight",
    "normalisation",
    "direction",
    "value_if_missing",
    "description",
)
WEIGHTS_SEED = "scoring_weights.csv"
# What a copy of the project needs to build: dbt_project.yml names its folders.
PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
PROJECT_PATH_KEYS = (
    "model-paths",
    "seed-paths",
    "macro-paths",
    "test-paths",
    "snapshot-paths",
    "analysis-paths",
)
REQUIRED_TABLES = (
    "marts.customer_scores",
    "intermediate.int_orders_stitched",
    "intermediate.int_scoring_dates",
    "intermediate.int_score_tiers",
    "config.scoring_weights",
)
BASELINES = ("recency alone", "frequency alone", "RFM quintile sum")
DEFINITIONS = {
    "bought": (
        "a completed order from the day after the as-of date to the last day of the horizon"
    ),
    "spend": "sum of those orders in the base currency; 0 for customers who did not buy",
    "lift": "hit rate (or average spend) of a group divided by that of all scored customers",
    "auc": "sklearn roc_auc_score of bought against the ranking; tied values count one half",
    "top_group": (
        "the N best-ranked customers, N = customers in the score's top tier; customers tied"
        " at the cut count pro rata"
    ),
    "recency alone": "days since the last completed order, fewer is better; never bought is last",
    "frequency alone": "completed orders in the trailing window",
    "RFM quintile sum": (
        "R + F + M quintiles, each 1 + floor(5 (r - 1) / n) with r the rank from worst to best,"
        " ties taking the lowest rank of their group"
    ),
    "monetary_value": (
        "M = mean of all completed orders in the window, first order included"
        " (one order of 50.00 -> 50.00; 10.00 then 30.00 -> 20.00); no order -> 0"
    ),
}


class BacktestError(RuntimeError):
    """A backtest cannot run: bad input, missing data or a failed build."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Scoring:
    """How the scores are built: project, raw data, weights and dbt variables."""

    project_dir: Path
    data_dir: Path | None
    currency: str
    window_days: int
    half_life_days: float | None
    weights: tuple[dict[str, str], ...]

    def profile_rows(self, profile: str) -> list[dict[str, str]]:
        """The weight rows of one profile, failing with the known profiles."""
        rows = [row for row in self.weights if row["scoring_profile"] == profile]
        if not rows:
            known = sorted({row["scoring_profile"] for row in self.weights})
            raise BacktestError(f"profile {profile!r} has no weights; profiles: {known}")
        return rows


def project_config(project_dir: Path) -> dict:
    """The parsed dbt_project.yml of a project."""
    path = project_dir / "dbt_project.yml"
    if not path.is_file():
        raise BacktestError(f"no dbt_project.yml in {project_dir}")
    return yaml.safe_load(path.read_text())


def seed_path(project_dir: Path) -> Path:
    """Path of the weight seed of a project."""
    seed_dirs = project_config(project_dir).get("seed-paths", ["seeds"])
    return project_dir / seed_dirs[0] / WEIGHTS_SEED


def read_weights(path: Path) -> list[dict[str, str]]:
    """Rows of a weight file in the seed's format, as text."""
    if not path.is_file():
        raise BacktestError(f"weight file not found: {path}")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in WEIGHT_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise BacktestError(f"{path}: columns missing from the weight file: {missing}")
        return [{name: (row[name] or "") for name in WEIGHT_COLUMNS} for row in reader]


def merge_weights(
    base: Sequence[dict[str, str]], override: Sequence[dict[str, str]]
) -> list[dict[str, str]]:
    """``base`` with every profile found in ``override`` replaced by its rows there.

    A replaced profile keeps the place of its first row; a new one goes last.
    """
    replaced = {row["scoring_profile"] for row in override}
    merged: list[dict[str, str]] = []
    placed: set[str] = set()
    for row in base:
        profile = row["scoring_profile"]
        if profile not in replaced:
            merged.append(dict(row))
        elif profile not in placed:
            merged.extend(dict(new) for new in override if new["scoring_profile"] == profile)
            placed.add(profile)
    for profile in dict.fromkeys(row["scoring_profile"] for row in override):
        if profile not in placed:
            merged.extend(dict(new) for new in override if new["scoring_profile"] == profile)
    return merged


def weight_signature(rows: Iterable[dict[str, object]]) -> set[tuple]:
    """What about a profile's rows changes scores: metric, weight, method, direction, default."""
    return {
        (
            str(row["metric_name"]),
            round(float(row["weight"]), 9),
            str(row["normalisation"]),
            str(row["direction"]),
            round(float(row["value_if_missing"]), 9),
        )
        for row in rows
    }


def make_scoring(
    project_dir: Path,
    data_dir: Path | None,
    currency: str | None,
    window_days: int | None,
    half_life_days: float | None,
    weights_file: Path | None,
) -> Scoring:
    """Settings of a run, defaults taken from the project's dbt_project.yml and seed."""
    project_vars = project_config(project_dir).get("vars", {})
    weights = read_weights(seed_path(project_dir))
    if weights_file is not None:
        weights = merge_weights(weights, read_weights(weights_file))
    return Scoring(
        project_dir=project_dir,
        data_dir=data_dir,
        currency=currency or str(project_vars.get("cbs_base_currency", "EUR")),
        window_days=int(window_days or project_vars.get("cbs_window_days", 365)),
        half_life_days=half_life_days,
        weights=tuple(weights),
    )


# --------------------------------------------------------------------------- building


def dbt_executable() -> str:
    """The dbt next to this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if found is None:
        raise BacktestError("dbt not found next to this Python or on PATH")
    return found


def copy_project(source: Path, destination: Path) -> Path:
    """Copy the files dbt needs to build ``source`` (no data, no venv) to ``destination``."""
    config = project_config(source)
    names = list(PROJECT_FILES)
    for key in PROJECT_PATH_KEYS:
        names += list(config.get(key, []))
    names.append("dbt_packages")
    for name in dict.fromkeys(names):
        path = source / name
        target = destination / name
        if path.is_dir():
            shutil.copytree(path, target)
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return destination


def write_weights(path: Path, rows: Sequence[dict[str, str]]) -> None:
    """Write weight rows in the seed's format."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=WEIGHT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def build(scoring: Scoring, database: Path, dates: Sequence[date]) -> None:
    """``dbt build`` customer_scores and everything upstream of it for ``dates``.

    The target and log folders are temporary. Weights that differ from the
    project's seed are built in a temporary copy of the project, so the
    project's own seed is never touched.
    """
    if scoring.data_dir is None:
        raise BacktestError(
            f"--data-dir is required: {database} has to be built for {fmt_dates(dates)}"
        )
    if not scoring.data_dir.is_dir():
        raise BacktestError(f"raw data folder not found: {scoring.data_dir}")
    dbt_vars = {
        "cbs_as_of_dates": [day.isoformat() for day in sorted(set(dates))],
        "cbs_base_currency": scoring.currency,
        "cbs_window_days": scoring.window_days,
        "cbs_half_life_days": scoring.half_life_days if scoring.half_life_days else "",
    }
    database.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cbs_backtest_") as work_dir:
        work = Path(work_dir)
        project = scoring.project_dir
        if weight_rows_differ(read_weights(seed_path(project)), scoring.weights):
            project = copy_project(scoring.project_dir, work / "project")
            write_weights(seed_path(project), scoring.weights)
            logger.info("building with the given weights in a copy of the project")
        command = [
            dbt_executable(),
            "build",
            "--select",
            "+customer_scores",
            "--indirect-selection",
            "cautious",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target-path",
            str(work / "target"),
            "--log-path",
            str(work / "logs"),
            "--vars",
            json.dumps(dbt_vars),
        ]
        env = {
            **os.environ,
            "CBS_DATA_DIR": str(scoring.data_dir.resolve()),
            "CBS_DUCKDB_PATH": str(database.resolve()),
            "CBS_TARGET": "duckdb",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        logger.info("dbt build of %s for %s", database, fmt_dates(dates))
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-4000:]
            raise BacktestError(f"dbt build failed (exit {result.returncode}):\n{tail}")
        logger.info("dbt build finished in %.0f s", time.monotonic() - started)


def weight_rows_differ(first: Sequence[dict[str, str]], second: Sequence[dict[str, str]]) -> bool:
    """True when two weight files would score any profile differently."""
    return [tuple(row[name] for name in WEIGHT_COLUMNS[:-1]) for row in first] != [
        tuple(row[name] for name in WEIGHT_COLUMNS[:-1]) for row in second
    ]


def reuse_problem(
    database: Path, scoring: Scoring, profile: str, dates: Sequence[date]
) -> str | None:
    """Why ``database`` cannot be reused for ``dates`` and ``profile``; None when it can."""
    if not database.exists():
        return "it does not exist yet"
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as error:
        raise BacktestError(f"cannot open {database}: {error}") from error
    try:
        tables = {
            f"{schema}.{name}"
            for schema, name in connection.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        absent = [table for table in REQUIRED_TABLES if table not in tables]
        if absent:
            return f"it has no {', '.join(absent)}"
        rows = connection.execute(
            "select distinct scores.as_of_date, scores.base_currency, dates.window_days,"
            " dates.half_life_days from marts.customer_scores as scores"
            " inner join intermediate.int_scoring_dates as dates"
            " on scores.as_of_date = dates.as_of_date"
            " where scores.scoring_profile = ?",
            [profile],
        ).fetchall()
        built = {row[0]: row[1:] for row in rows}
        missing = [day for day in dates if day not in built]
        if missing:
            return f"it is not scored for {fmt_dates(missing)} with profile {profile}"
        for day in dates:
            currency, window_days, half_life = built[day]
            if currency != scoring.currency:
                return f"its amounts are in {currency}, not {scoring.currency}"
            if window_days != scoring.window_days:
                return f"its window is {window_days} days, not {scoring.window_days}"
            if (half_life or None) != (scoring.half_life_days or None):
                return f"its half-life is {half_life}, not {scoring.half_life_days}"
        cursor = connection.execute(
            "select * from config.scoring_weights where scoring_profile = ?", [profile]
        )
        names = [column[0] for column in cursor.description]
        stored = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        if weight_signature(stored) != weight_signature(scoring.profile_rows(profile)):
            return f"it was built with other weights for profile {profile}"
        return None
    finally:
        connection.close()


def ensure_scored(scoring: Scoring, database: Path, profile: str, dates: Sequence[date]) -> None:
    """Reuse ``database`` when it is scored for every date as asked, else build it."""
    scoring.profile_rows(profile)  # fail before a build on an unknown profile
    problem = reuse_problem(database, scoring, profile, dates)
    if problem is None:
        logger.info("reusing %s, already scored for %s", database, fmt_dates(dates))
        return
    logger.info("building %s: %s", database, problem)
    build(scoring, database, dates)
    problem = reuse_problem(database, scoring, profile, dates)
    if problem is not None:
        raise BacktestError(f"after the build {database} still cannot be used: {problem}")


# --------------------------------------------------------------------------- data


def metric_names(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Scoring metrics in their fixed order, read from customer_scores' columns."""
    columns = [row[0] for row in connection.execute("describe marts.customer_scores").fetchall()]
    return [name.removesuffix("_normalised") for name in columns if name.endswith("_normalised")]


def horizon_bounds(as_of: date, horizon_days: int) -> tuple[datetime, datetime]:
    """[start, end) of the outcome period: the days after ``as_of``, ``horizon_days`` of them."""
    start = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    return start, start + timedelta(days=horizon_days)


def load_customers(
    connection: duckdb.DuckDBPyConnection,
    profile: str,
    as_of: date,
    horizon_days: int,
    metrics: Sequence[str],
) -> pd.DataFrame:
    """One row per scored customer: score, tier, as-of metrics and what they did next."""
    known = metric_names(connection)
    unknown = [metric for metric in metrics if metric not in known]
    if unknown:
        raise BacktestError(f"metrics not in customer_scores: {unknown}")
    start, end = horizon_bounds(as_of, horizon_days)
    normalised = "".join(f", scores.{metric}_normalised" for metric in metrics)
    frame = connection.execute(
        f"""
        with scores as (
            select * from marts.customer_scores
            where scoring_profile = ? and as_of_date = ?
        ),
        outcomes as (
            select
                customer_id,
                count(*) as orders_after,
                -- Summed as decimals, exactly: a sum of doubles over
                -- parallel threads may differ in its last bit from run to run.
                cast(sum(cast(order_amount_base as decimal(38, 6))) as double) as spend_after
            from intermediate.int_orders_stitched
            where customer_id is not null
                and status = 'completed'
                and ordered_at >= ?
                and ordered_at < ?
            group by customer_id
        )
        select
            scores.customer_id,
            scores.score,
            scores.tier,
            scores.tier_rank,
            scores.recency_days_value as recency_days,
            scores.purchase_frequency_value as purchase_frequency,
            scores.average_order_value_value as average_order_value
            {normalised},
            coalesce(outcomes.orders_after, 0) as orders_after,
            coalesce(outcomes.spend_after, 0) as spend_after
        from scores
        left join outcomes
            on scores.customer_id = outcomes.customer_id
        order by scores.customer_id
        """,
        [profile, as_of, start, end],
    ).df()
    if frame.empty:
        raise BacktestError(f"no customer is scored with profile {profile} on {as_of}")
    frame["bought"] = frame["orders_after"] > 0
    return frame


def load_tiers(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The tier bands the database was built with, best first."""
    return connection.execute(
        "select tier_name, tier_rank, lower_bound, upper_bound"
        " from intermediate.int_score_tiers order by tier_rank"
    ).df()


def data_end(connection: duckdb.DuckDBPyConnection) -> date | None:
    """Day of the last kept order in the data."""
    last = connection.execute(
        "select cast(max(ordered_at) as date) from intermediate.int_orders_stitched"
    ).fetchone()[0]
    return last


def weights_in_force(
    connection: duckdb.DuckDBPyConnection, profile: str, as_of: date, metrics: Sequence[str]
) -> dict[str, float]:
    """Each metric's share of the score on ``as_of`` after constant metrics hand theirs on."""
    columns = ", ".join(f"max({metric}_weight)" for metric in metrics)
    row = connection.execute(
        f"select {columns} from marts.customer_scores where scoring_profile = ? and as_of_date = ?",
        [profile, as_of],
    ).fetchone()
    return {metric: float(value) for metric, value in zip(metrics, row, strict=True)}


# --------------------------------------------------------------------------- measures


@dataclass(frozen=True)
class TierResult:
    """Outcome of one tier of a score."""

    tier: str
    tier_rank: int
    customers: int
    share: float
    buyers: int
    hit_rate: float | None
    hit_rate_lift: float | None
    average_spend: float | None
    spend_lift: float | None


@dataclass(frozen=True)
class RankingResult:
    """Rank quality of one ranking of the customers."""

    ranking: str
    auc: float | None
    top_customers: int
    top_hit_rate: float | None
    top_lift: float | None
    top_average_spend: float | None
    top_spend_lift: float | None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def auc(bought: np.ndarray, values: np.ndarray) -> float | None:
    """AUC of ``values`` for ``bought``; None when everyone, or no one, bought."""
    bought = np.asarray(bought, dtype=bool)
    if bought.all() or not bought.any():
        return None
    return float(roc_auc_score(bought, np.asarray(values, dtype=float)))


def top_group(
    values: np.ndarray, bought: np.ndarray, spend: np.ndarray, size: int
) -> tuple[float | None, float | None]:
    """(hit rate, average spend) of the ``size`` highest ``values``.

    Customers tied with the last one in the group count pro rata: each adds
    the tied group's mean, which is what random tie-breaking gives on average.
    """
    values = np.asarray(values, dtype=float)
    if size <= 0 or len(values) == 0:
        return None, None
    size = min(size, len(values))
    bought = np.asarray(bought, dtype=float)
    spend = np.asarray(spend, dtype=float)
    cut = np.sort(values)[::-1][size - 1]
    above = values > cut
    tied = values == cut
    remaining = size - int(above.sum())
    hits = bought[above].sum() + remaining * bought[tied].mean()
    spent = spend[above].sum() + remaining * spend[tied].mean()
    return float(hits / size), float(spent / size)


def quintiles(values: np.ndarray) -> np.ndarray:
    """Quintile 1 (lowest values) to 5 (highest); equal values share a quintile.

    q = 1 + floor(5 (r - 1) / n), r the rank from lowest to highest with ties
    taking the lowest rank of their group, n the number of values.
    """
    values = np.asarray(values, dtype=float)
    ranks = pd.Series(values).rank(method="min").to_numpy(dtype=np.int64)
    return 1 + (5 * (ranks - 1)) // len(values)


def recency_ranking(recency_days: pd.Series) -> np.ndarray:
    """Recency as a higher-is-better value; customers who never bought rank last."""
    days = recency_days.astype(float)
    worst = (days.max() + 1) if days.notna().any() else 0.0
    return -days.fillna(worst).to_numpy()


def baseline_rankings(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The three baselines, higher is better, from the as-of metrics of ``frame``."""
    recency = recency_ranking(frame["recency_days"])
    frequency = frame["purchase_frequency"].astype(float).fillna(0).to_numpy()
    monetary = frame["average_order_value"].astype(float).fillna(0).to_numpy()
    rfm = quintiles(recency) + quintiles(frequency) + quintiles(monetary)
    return {
        "recency alone": recency,
        "frequency alone": frequency,
        "RFM quintile sum": rfm.astype(float),
    }


def tier_results(frame: pd.DataFrame, tiers: pd.DataFrame, tier_column: str) -> list[TierResult]:
    """Customers, hit rate, spend and lifts per tier (every tier, empty ones too)."""
    overall_hit = float(frame["bought"].mean())
    overall_spend = float(frame["spend_after"].mean())
    results = []
    for tier in tiers.itertuples(index=False):
        members = frame[frame[tier_column] == tier.tier_name]
        hit = float(members["bought"].mean()) if len(members) else None
        spend = float(members["spend_after"].mean()) if len(members) else None
        results.append(
            TierResult(
                tier=str(tier.tier_name),
                tier_rank=int(tier.tier_rank),
                customers=len(members),
                share=len(members) / len(frame),
                buyers=int(members["bought"].sum()),
                hit_rate=hit,
                hit_rate_lift=ratio(hit, overall_hit),
                average_spend=spend,
                spend_lift=ratio(spend, overall_spend),
            )
        )
    return results


def top_tier(tier_table: Sequence[TierResult]) -> TierResult:
    """The best tier that has customers."""
    filled = [tier for tier in tier_table if tier.customers > 0]
    return min(filled, key=lambda tier: tier.tier_rank)


def ranking_results(
    frame: pd.DataFrame, rankings: dict[str, np.ndarray], top_size: int
) -> list[RankingResult]:
    """AUC and top-group figures of each ranking, the top group ``top_size`` customers."""
    bought = frame["bought"].to_numpy()
    spend = frame["spend_after"].to_numpy(dtype=float)
    overall_hit = float(bought.mean())
    overall_spend = float(spend.mean())
    results = []
    for name, values in rankings.items():
        hit, average_spend = top_group(values, bought, spend, top_size)
        results.append(
            RankingResult(
                ranking=name,
                auc=auc(bought, values),
                top_customers=top_size,
                top_hit_rate=hit,
                top_lift=ratio(hit, overall_hit),
                top_average_spend=average_spend,
                top_spend_lift=ratio(average_spend, overall_spend),
            )
        )
    return results


# --------------------------------------------------------------------------- report


@dataclass
class BacktestReport:
    """Everything a backtest measured, ready to print or write as JSON."""

    profile: str
    as_of_date: date
    horizon_days: int
    outcome_first_day: date
    outcome_last_day: date
    data_last_day: date | None
    currency: str
    database: str
    customers: int
    buyers: int
    hit_rate: float
    average_spend: float
    top_tier: str
    weights_in_force: dict[str, float]
    tiers: list[TierResult]
    rankings: list[RankingResult]
    definitions: dict[str, str] = field(default_factory=lambda: dict(DEFINITIONS))

    def to_json(self) -> dict:
        """A JSON-ready dict (dates as ISO text)."""
        return json.loads(json.dumps(asdict(self), default=str))


def backtest(
    database: Path, profile: str, as_of: date, horizon_days: int, currency: str
) -> BacktestReport:
    """Measure the scores of ``profile`` on ``as_of`` in a scored database."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        metrics = metric_names(connection)
        frame = load_customers(connection, profile, as_of, horizon_days, [])
        tiers = load_tiers(connection)
        last_day = data_end(connection)
        in_force = weights_in_force(connection, profile, as_of, metrics)
    finally:
        connection.close()
    warn_if_horizon_unobserved(as_of, horizon_days, last_day)
    tier_table = tier_results(frame, tiers, "tier")
    best = top_tier(tier_table)
    rankings = {f"score ({profile})": frame["score"].to_numpy(dtype=float)}
    rankings.update(baseline_rankings(frame))
    return BacktestReport(
        profile=profile,
        as_of_date=as_of,
        horizon_days=horizon_days,
        outcome_first_day=as_of + timedelta(days=1),
        outcome_last_day=as_of + timedelta(days=horizon_days),
        data_last_day=last_day,
        currency=currency,
        database=str(database),
        customers=len(frame),
        buyers=int(frame["bought"].sum()),
        hit_rate=float(frame["bought"].mean()),
        average_spend=float(frame["spend_after"].mean()),
        top_tier=best.tier,
        weights_in_force={metric: weight for metric, weight in in_force.items() if weight > 0},
        tiers=tier_table,
        rankings=ranking_results(frame, rankings, best.customers),
    )


def warn_if_horizon_unobserved(as_of: date, horizon_days: int, last_day: date | None) -> None:
    """Log a warning when the data end before the horizon does."""
    horizon_last = as_of + timedelta(days=horizon_days)
    if last_day is None or last_day < horizon_last:
        logger.warning(
            "the last order in the data is on %s, before the horizon's last day %s:"
            " later purchases are unknown and count as none",
            last_day,
            horizon_last,
        )


def fmt_dates(dates: Iterable[date]) -> str:
    """Dates as comma-separated ISO text."""
    return ", ".join(day.isoformat() for day in sorted(set(dates)))


def fmt_count(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def fmt_percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def fmt_number(value: float | None, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:,.{decimals}f}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table: first column left, the others right."""
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  " + "  ".join(parts).rstrip()

    return "\n".join(line(row) for row in [headers, *rows])


def tier_rows(tiers: Sequence[TierResult], currency: str) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of a per-tier table."""
    headers = [
        "tier",
        "customers",
        "share",
        "buyers",
        "hit rate",
        "lift",
        f"avg spend ({currency})",
        "spend lift",
    ]
    rows = [
        [
            tier.tier,
            fmt_count(tier.customers),
            fmt_percent(tier.share),
            fmt_count(tier.buyers),
            fmt_percent(tier.hit_rate),
            fmt_number(tier.hit_rate_lift),
            fmt_number(tier.average_spend),
            fmt_number(tier.spend_lift),
        ]
        for tier in tiers
    ]
    return headers, rows


def ranking_rows(rankings: Sequence[RankingResult]) -> tuple[list[str], list[list[str]]]:
    """Headers and cells of a rank-quality table."""
    headers = ["ranking", "AUC", "top-group hit rate", "lift", "spend lift"]
    rows = [
        [
            result.ranking,
            fmt_number(result.auc, 4),
            fmt_percent(result.top_hit_rate),
            fmt_number(result.top_lift),
            fmt_number(result.top_spend_lift),
        ]
        for result in rankings
    ]
    return headers, rows


def render(report: BacktestReport) -> str:
    """The report as plain text."""
    weights = ", ".join(
        f"{metric} {weight:.3f}" for metric, weight in report.weights_in_force.items()
    )
    lines = [
        f"Backtest of profile {report.profile} as of {report.as_of_date}",
        f"  database: {report.database}",
        f"  weights in force: {weights}",
        f"  outcome: a completed order from {report.outcome_first_day} to"
        f" {report.outcome_last_day} ({report.horizon_days} days);"
        f" last order in the data {report.data_last_day}",
        f"  scored customers {fmt_count(report.customers)}, bought {fmt_count(report.buyers)}"
        f" (hit rate {fmt_percent(report.hit_rate)}), average spend"
        f" {fmt_number(report.average_spend)} {report.currency} per customer",
        "",
        "Per tier (lift: over all scored customers)",
        format_table(*tier_rows(report.tiers, report.currency)),
        "",
        f"Rank quality: AUC of bought in the horizon; top group = the"
        f" {fmt_count(report.rankings[0].top_customers)} best-ranked customers"
        f" (the size of tier {report.top_tier})",
        format_table(*ranking_rows(report.rankings)),
        "",
        "RFM: quintiles 1-5 of R (fewer days since the last order is better), F (orders in the",
        "window) and M (mean of all completed orders in the window, first order included;",
        "none -> 0); quintile = 1 + floor(5 (r - 1) / n), r the rank from worst with ties",
        "taking their group's lowest rank, so equal values share a quintile.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def iso_date(text: str) -> date:
    """argparse type: a YYYY-MM-DD date."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from error


def positive_int(text: str) -> int:
    """argparse type: an integer above 0."""
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def add_scoring_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared with learn_weights.py: data, database, project and dbt variables."""
    parser.add_argument("--data-dir", type=Path, help="raw Parquet folder (needed to build)")
    parser.add_argument(
        "--database",
        type=Path,
        help="DuckDB file to reuse or build (default: a temporary file, removed afterwards)",
    )
    parser.add_argument(
        "--project-dir", type=Path, default=ROOT, help="dbt project (default: this one)"
    )
    parser.add_argument(
        "--profile", help="weight profile to measure (default: var cbs_default_profile)"
    )
    parser.add_argument(
        "--horizon-days", type=positive_int, required=True, help="days of outcome after as-of"
    )
    parser.add_argument("--currency", help="base currency (default: var cbs_base_currency)")
    parser.add_argument(
        "--window-days", type=positive_int, help="trailing window (default: var cbs_window_days)"
    )
    parser.add_argument("--half-life-days", type=float, help="decay half-life (default: none)")


def default_profile(project_dir: Path) -> str:
    """var cbs_default_profile of the project."""
    return str(project_config(project_dir).get("vars", {}).get("cbs_default_profile", "balanced"))


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=iso_date, required=True, help="day scored, YYYY-MM-DD")
    add_scoring_arguments(parser)
    parser.add_argument(
        "--weights",
        type=Path,
        help="weight file in the seed's format; its profiles replace the seed's for this run only",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    started = time.monotonic()
    try:
        scoring = make_scoring(
            args.project_dir,
            args.data_dir,
            args.currency,
            args.window_days,
            args.half_life_days,
            args.weights,
        )
        profile = args.profile or default_profile(args.project_dir)
        with tempfile.TemporaryDirectory(prefix="cbs_backtest_db_") as scratch:
            database = args.database or Path(scratch) / "backtest.duckdb"
            ensure_scored(scoring, database, profile, [args.as_of])
            report = backtest(database, profile, args.as_of, args.horizon_days, scoring.currency)
    except BacktestError as error:
        logger.error("%s", error)
        return 1
    print(render(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_json(), indent=2) + "\n")
        logger.info("wrote %s", args.json)
    logger.info("backtest done in %.0f s", time.monotonic() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
