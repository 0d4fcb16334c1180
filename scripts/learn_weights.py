"""Learn readable weights for a profile from history and judge them on later dates.

Features are the profile's normalised metrics as customer_scores stores
them (``<metric>_normalised``: 0..1, direction and missing-value rule
applied), so the learned weights plug straight into the same scoring. The
label is "bought in the horizon" after each as-of date, measured as in
backtest.py.

Method: a logistic regression of the label on the features with every
coefficient bounded at >= 0 and a free intercept, fitted by maximum
likelihood with a small L2 penalty (scipy.optimize.minimize, L-BFGS-B).
The coefficients divided by their sum are the weights: non-negative,
summing to one, and ranking customers exactly as the fitted model does,
since dropping the intercept and dividing by a positive number keep the
order. scikit-learn's LogisticRegression has no sign constraint, and a
non-negative least-squares fit (NNLS) treats a yes/no outcome as a number;
the bounded logistic fit has neither drawback. A metric that does not vary
within any training date carries no information and gets weight 0. The
weights are rounded to --decimals by largest remainder, so the written
weights sum to exactly one, and every figure shown for "learned" uses the
rounded weights.

Randomness (a subsample above --max-train-rows, and --bootstrap refits on
resampled rows that show how stable each weight is) comes from --seed, so a
run is deterministic for a fixed seed; the fit itself is deterministic.

Training dates must lie early enough that their outcomes were known on
every test date (as-of + horizon <= the first test date), so the held-out
figures use nothing a user could not have known then; --allow-overlap
lifts that check.

The seed (seeds/scoring_weights.csv) is written only with --write: the
rows of --profile-name are replaced in place (or added at the end for a
new name), every other line stays byte for byte. --out writes the same
content to another file instead, e.g. for backtest.py --weights.

Usage:
    python scripts/learn_weights.py --data-dir data/cdnow --database /tmp/cdnow.duckdb \\
        --currency USD --train-dates 1997-03-31 --test-dates 1997-09-30,1997-12-31 \\
        --horizon-days 182 [--profile balanced] [--profile-name learned] [--seed 42] \\
        [--out learned.csv] [--write] [--json learn.json]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from backtest import (
    WEIGHT_COLUMNS,
    BacktestError,
    RankingResult,
    Scoring,
    TierResult,
    add_scoring_arguments,
    baseline_rankings,
    data_end,
    default_profile,
    ensure_scored,
    fmt_count,
    fmt_dates,
    fmt_number,
    fmt_percent,
    format_table,
    iso_date,
    load_customers,
    load_tiers,
    make_scoring,
    metric_names,
    ranking_results,
    seed_path,
    tier_results,
    top_tier,
    warn_if_horizon_unobserved,
    weights_in_force,
)

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- fitting


@dataclass(frozen=True)
class LearnedWeights:
    """Weights learned for the metrics of a profile."""

    metrics: list[str]
    weights: dict[str, float]
    coefficients: dict[str, float]
    intercept: float
    informative: list[str]
    bootstrap_low: dict[str, float]
    bootstrap_high: dict[str, float]
    training_rows: int
    training_buyers: int


def fit_bounded_logistic(
    features: np.ndarray, bought: np.ndarray, l2: float
) -> tuple[np.ndarray, float]:
    """Coefficients (all >= 0) and intercept of a logistic regression with an L2 penalty.

    Minimises mean log loss + l2 / 2 * |coefficients|^2; the intercept is
    neither bounded nor penalised.
    """
    rows, columns = features.shape
    labels = bought.astype(float)

    def objective(params: np.ndarray) -> tuple[float, np.ndarray]:
        coefficients, intercept = params[:columns], params[columns]
        linear = features @ coefficients + intercept
        loss = np.mean(np.logaddexp(0.0, linear) - labels * linear)
        loss += 0.5 * l2 * coefficients @ coefficients
        residual = expit(linear) - labels
        gradient = np.empty(columns + 1)
        gradient[:columns] = features.T @ residual / rows + l2 * coefficients
        gradient[columns] = residual.mean()
        return float(loss), gradient

    rate = min(max(labels.mean(), 1e-6), 1 - 1e-6)
    start = np.zeros(columns + 1)
    start[columns] = np.log(rate / (1 - rate))
    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, None)] * columns + [(None, None)],
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-9},
    )
    if not result.success:
        logger.warning("the fit stopped early: %s", result.message)
    return result.x[:columns], float(result.x[columns])


def round_to_one(weights: np.ndarray, decimals: int) -> np.ndarray:
    """Shares rounded to ``decimals`` that sum to exactly one (largest remainder)."""
    scale = 10**decimals
    scaled = weights / weights.sum() * scale
    units = np.floor(scaled).astype(np.int64)
    short = scale - int(units.sum())
    # Ties in the remainder go to the metric that comes first: a stable order.
    order = sorted(range(len(scaled)), key=lambda i: (-(scaled[i] - units[i]), i))
    for i in order[:short]:
        units[i] += 1
    return units / scale


def informative_metrics(frames: Sequence[pd.DataFrame], metrics: Sequence[str]) -> list[str]:
    """Metrics whose normalised value varies within at least one of the frames."""
    return [
        metric
        for metric in metrics
        if any(
            frame[f"{metric}_normalised"].max() > frame[f"{metric}_normalised"].min()
            for frame in frames
        )
    ]


def learn(
    frames: Sequence[pd.DataFrame],
    metrics: Sequence[str],
    l2: float,
    bootstrap: int,
    seed: int,
    max_rows: int,
    decimals: int,
) -> LearnedWeights:
    """Fit the weights of ``metrics`` on the stacked training ``frames``."""
    informative = informative_metrics(frames, metrics)
    if not informative:
        raise BacktestError("no metric of the profile varies on the training dates")
    stacked = pd.concat(frames, ignore_index=True)
    features = stacked[[f"{metric}_normalised" for metric in informative]].to_numpy(float)
    bought = stacked["bought"].to_numpy(bool)
    if bought.all() or not bought.any():
        raise BacktestError("on the training dates everyone, or no one, bought: nothing to learn")
    rng = np.random.default_rng(seed)
    if len(bought) > max_rows:
        keep = np.sort(rng.choice(len(bought), size=max_rows, replace=False))
        features, bought = features[keep], bought[keep]
        logger.info("fitting on a seeded sample of %s of %s rows", max_rows, len(stacked))
    coefficients, intercept = fit_bounded_logistic(features, bought, l2)
    if coefficients.sum() <= 0:
        raise BacktestError(
            "no metric raises the chance of buying on the training dates: nothing learned"
        )
    rounded = round_to_one(coefficients, decimals)
    resampled = []
    for _ in range(bootstrap):
        rows = rng.integers(0, len(bought), size=len(bought))
        refit, _intercept = fit_bounded_logistic(features[rows], bought[rows], l2)
        if refit.sum() > 0:
            resampled.append(refit / refit.sum())
    low = np.percentile(resampled, 5, axis=0) if resampled else []
    high = np.percentile(resampled, 95, axis=0) if resampled else []
    by_metric = dict(zip(informative, rounded, strict=True))
    return LearnedWeights(
        metrics=list(metrics),
        weights={metric: float(by_metric.get(metric, 0.0)) for metric in metrics},
        coefficients={
            metric: float(value) for metric, value in zip(informative, coefficients, strict=True)
        },
        intercept=intercept,
        informative=informative,
        bootstrap_low={m: float(v) for m, v in zip(informative, low, strict=False)},
        bootstrap_high={m: float(v) for m, v in zip(informative, high, strict=False)},
        training_rows=len(bought),
        training_buyers=int(bought.sum()),
    )


# --------------------------------------------------------------------------- scoring


def score_with(frame: pd.DataFrame, weights: dict[str, float]) -> np.ndarray:
    """Scores 0..100 of ``frame`` with ``weights``, as customer_scores computes them.

    Weights become shares of their total; a metric with the same value for
    every customer hands its share pro rata to the metrics that vary (none
    varying: the shares stand); contributions 100 x value x share are added
    in the fixed metric order, clamped to 0..100 and rounded to 4 decimals.
    """
    total = sum(weights.values())
    shares = {metric: weight / total for metric, weight in weights.items()}
    varies = {
        metric: bool(frame[f"{metric}_normalised"].max() > frame[f"{metric}_normalised"].min())
        for metric in weights
    }
    informative_share = sum(share for metric, share in shares.items() if varies[metric])
    score = np.zeros(len(frame))
    for metric, share in shares.items():
        if informative_share == 0:
            effective = share
        else:
            effective = share / informative_share if varies[metric] else 0.0
        score = score + 100 * frame[f"{metric}_normalised"].to_numpy(float) * effective
    return np.round(np.clip(score, 0, 100), 4)


def assign_tiers(scores: np.ndarray, tiers: pd.DataFrame) -> np.ndarray:
    """Tier name of each score: the band [lower, upper) holding it, 100 in the top band."""
    names = np.full(len(scores), None, dtype=object)
    assigned = np.zeros(len(scores), dtype=bool)
    for tier in tiers.itertuples(index=False):
        inside = (scores >= tier.lower_bound) & (
            (scores < tier.upper_bound) | (tier.upper_bound == 100)
        )
        names[inside & ~assigned] = tier.tier_name
        assigned |= inside
    return names


# --------------------------------------------------------------------------- evaluation


@dataclass
class DateEvaluation:
    """Current and learned weights against the baselines on one date."""

    as_of_date: date
    role: str
    customers: int
    buyers: int
    hit_rate: float
    top_size: int
    rankings: list[RankingResult]
    top_tiers: dict[str, dict[str, object]]
    tiers: dict[str, list[TierResult]]


def evaluate_date(
    frame: pd.DataFrame,
    tiers: pd.DataFrame,
    as_of: date,
    role: str,
    profile: str,
    profile_name: str,
    learned: dict[str, float],
) -> DateEvaluation:
    """AUC and top-tier lift of current, learned and baseline rankings on one date."""
    frame = frame.copy()
    frame["learned_score"] = score_with(frame, learned)
    frame["learned_tier"] = assign_tiers(frame["learned_score"].to_numpy(), tiers)
    current_label, learned_label = f"current ({profile})", f"learned ({profile_name})"
    tier_tables = {
        current_label: tier_results(frame, tiers, "tier"),
        learned_label: tier_results(frame, tiers, "learned_tier"),
    }
    top_size = top_tier(tier_tables[current_label]).customers
    rankings = {
        current_label: frame["score"].to_numpy(float),
        learned_label: frame["learned_score"].to_numpy(float),
        **baseline_rankings(frame),
    }
    top_tiers = {}
    for label, table in tier_tables.items():
        best = top_tier(table)
        top_tiers[label] = {
            "tier": best.tier,
            "customers": best.customers,
            "hit_rate": best.hit_rate,
            "lift": best.hit_rate_lift,
            "spend_lift": best.spend_lift,
        }
    return DateEvaluation(
        as_of_date=as_of,
        role=role,
        customers=len(frame),
        buyers=int(frame["bought"].sum()),
        hit_rate=float(frame["bought"].mean()),
        top_size=top_size,
        rankings=ranking_results(frame, rankings, top_size),
        top_tiers=top_tiers,
        tiers=tier_tables,
    )


# --------------------------------------------------------------------------- the seed


def learned_rows(
    source_rows: Sequence[dict[str, str]],
    profile_name: str,
    weights: dict[str, float],
    decimals: int,
) -> list[dict[str, str]]:
    """Seed rows of the learned profile: the source profile's rows with the new weights."""
    return [
        {
            **row,
            "scoring_profile": profile_name,
            "weight": f"{weights[row['metric_name']]:.{decimals}f}",
        }
        for row in source_rows
    ]


def replace_profile(text: str, profile: str, rows: Sequence[dict[str, str]]) -> str:
    """Seed text with ``profile``'s rows replaced by ``rows`` (or added at the end).

    Every other line is kept byte for byte; the new rows use the file's line
    ending and column order.
    """
    lines = text.splitlines(keepends=True)
    if not lines:
        raise BacktestError("the weight seed is empty")
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    reader = csv.reader(lines)
    header = next(reader)
    missing = [name for name in WEIGHT_COLUMNS if name not in header]
    if missing:
        raise BacktestError(f"the weight seed lacks columns {missing}")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    new_block = buffer.getvalue()
    kept: list[str] = [lines[0]]
    placed = False
    start = reader.line_num
    for record in reader:
        block = "".join(lines[start : reader.line_num])
        start = reader.line_num
        if record and record[header.index("scoring_profile")] == profile:
            if not placed:
                kept.append(new_block)
                placed = True
            continue
        kept.append(block)
    if not placed:
        if not kept[-1].endswith(("\n", "\r")):
            kept.append(newline)
        kept.append(new_block)
    return "".join(kept)


# --------------------------------------------------------------------------- report


def render(
    learned: LearnedWeights,
    seed_shares: dict[str, float],
    in_force: dict[str, float],
    in_force_date: date,
    evaluations: Sequence[DateEvaluation],
    training: Sequence[DateEvaluation],
    settings: dict[str, object],
) -> str:
    """The comparison as plain text."""
    lines = [
        f"Weights of profile {settings['profile']} learned as profile {settings['profile_name']}",
        f"  trained on as-of {fmt_dates(settings['train_dates'])}:"
        f" {fmt_count(learned.training_rows)} customer-dates,"
        f" {fmt_percent(learned.training_buyers / learned.training_rows)} bought within"
        f" {settings['horizon_days']} days",
        f"  bounded logistic regression (weights >= 0, free intercept, L2 {settings['l2']}),"
        f" {settings['bootstrap']} bootstrap refits, seed {settings['seed']}",
        "",
    ]
    headers = [
        "metric",
        "seed share",
        f"in force {in_force_date}",
        "learned",
        "bootstrap 5%-95%",
    ]
    rows = []
    for metric in learned.metrics:
        if metric not in learned.informative:
            spread = "constant: 0"
        elif metric in learned.bootstrap_low:
            spread = f"{learned.bootstrap_low[metric]:.3f}-{learned.bootstrap_high[metric]:.3f}"
        else:
            spread = "n/a"
        rows.append(
            [
                metric,
                f"{seed_shares[metric]:.3f}",
                f"{in_force.get(metric, 0.0):.3f}",
                f"{learned.weights[metric]:.{settings['decimals']}f}",
                spread,
            ]
        )
    lines.append(format_table(headers, rows))
    for evaluation in training:
        current, learned_result = evaluation.rankings[:2]
        lines.append(
            f"  in-sample AUC on training date {evaluation.as_of_date}:"
            f" {current.ranking} {fmt_number(current.auc, 4)},"
            f" {learned_result.ranking} {fmt_number(learned_result.auc, 4)}"
        )
    for evaluation in evaluations:
        lines += [
            "",
            f"{evaluation.role.capitalize()} date {evaluation.as_of_date}:"
            f" {fmt_count(evaluation.customers)} customers,"
            f" {fmt_percent(evaluation.hit_rate)} bought within {settings['horizon_days']} days",
        ]
        headers = [
            "ranking",
            "AUC",
            "top tier",
            "customers",
            "hit rate",
            "lift",
            f"top-{evaluation.top_size:,} lift",
        ]
        rows = []
        for result in evaluation.rankings:
            top = evaluation.top_tiers.get(result.ranking)
            rows.append(
                [
                    result.ranking,
                    fmt_number(result.auc, 4),
                    str(top["tier"]) if top else "-",
                    fmt_count(top["customers"]) if top else "-",
                    fmt_percent(top["hit_rate"]) if top else "-",
                    fmt_number(top["lift"]) if top else "-",
                    fmt_number(result.top_lift),
                ]
            )
        lines.append(format_table(headers, rows))
    lines += [
        "",
        "top tier: the best tier with customers under each weight set; top-N lift: hit rate of",
        "the N best-ranked customers (N = the current top tier's size, ties at the cut pro rata)",
        "over the overall hit rate. Baselines as in backtest.py (RFM M = mean of all completed",
        "orders in the window, first order included).",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- command line


def date_list(text: str) -> list[date]:
    """argparse type: comma-separated YYYY-MM-DD dates."""
    days = [iso_date(part.strip()) for part in text.split(",") if part.strip()]
    if not days:
        raise argparse.ArgumentTypeError("give at least one date")
    return sorted(set(days))


def check_dates(
    train: Sequence[date], test: Sequence[date], horizon_days: int, allow_overlap: bool
) -> None:
    """Fail when a date is both trained and tested on, or a training outcome is unknown yet."""
    both = sorted(set(train) & set(test))
    if both:
        raise BacktestError(f"dates both in --train-dates and --test-dates: {fmt_dates(both)}")
    first_test = min(test)
    late = [day for day in train if day + timedelta(days=horizon_days) > first_test]
    if late and not allow_overlap:
        raise BacktestError(
            f"the outcomes of training dates {fmt_dates(late)} ({horizon_days} days) reach past"
            f" the first test date {first_test}: choose training dates on or before"
            f" {first_test - timedelta(days=horizon_days)}, or pass --allow-overlap"
        )


def write_text(path: Path, text: str) -> None:
    """Write ``text`` exactly (no newline translation)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_scoring_arguments(parser)
    parser.add_argument("--train-dates", type=date_list, required=True, help="d1,d2,...")
    parser.add_argument("--test-dates", type=date_list, required=True, help="d1,d2,...")
    parser.add_argument(
        "--profile-name", help="profile the learned weights are saved as (default: --profile)"
    )
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 penalty (default 0.001)")
    parser.add_argument("--bootstrap", type=int, default=30, help="bootstrap refits (default 30)")
    parser.add_argument("--seed", type=int, default=42, help="seed of every draw (default 42)")
    parser.add_argument(
        "--max-train-rows", type=int, default=500_000, help="sample above this (default 500000)"
    )
    parser.add_argument("--decimals", type=int, default=3, help="decimals of a weight (3)")
    parser.add_argument(
        "--allow-overlap",
        action="store_true",
        help="allow training outcomes that reach past the first test date",
    )
    parser.add_argument("--out", type=Path, help="write the seed with the learned rows here")
    parser.add_argument("--write", action="store_true", help="write the project's weight seed")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    started = time.monotonic()
    try:
        if args.l2 < 0 or args.bootstrap < 0 or args.max_train_rows < 1 or args.decimals < 1:
            raise BacktestError(
                "--l2 and --bootstrap must be >= 0, --max-train-rows and --decimals >= 1"
            )
        check_dates(args.train_dates, args.test_dates, args.horizon_days, args.allow_overlap)
        scoring = make_scoring(
            args.project_dir,
            args.data_dir,
            args.currency,
            args.window_days,
            args.half_life_days,
            None,
        )
        profile = args.profile or default_profile(args.project_dir)
        profile_name = args.profile_name or profile
        existing = {row["scoring_profile"] for row in scoring.weights}
        if profile_name != profile and profile_name in existing and (args.write or args.out):
            logger.warning("profile %s exists; its rows will be replaced", profile_name)
        with tempfile.TemporaryDirectory(prefix="cbs_learn_db_") as scratch:
            database = args.database or Path(scratch) / "learn.duckdb"
            dates = [*args.train_dates, *args.test_dates]
            ensure_scored(scoring, database, profile, dates)
            result = run(args, scoring, database, profile, profile_name)
    except BacktestError as error:
        logger.error("%s", error)
        return 1
    print(result["text"])
    seed_text = seed_path(args.project_dir).read_text(encoding="utf-8")
    new_text = replace_profile(seed_text, profile_name, result["rows"])
    if args.out:
        write_text(args.out, new_text)
        logger.info("wrote the learned weights (profile %s) to %s", profile_name, args.out)
    if args.write:
        write_text(seed_path(args.project_dir), new_text)
        logger.info("wrote profile %s to %s", profile_name, seed_path(args.project_dir))
    else:
        logger.info("seed not changed (pass --write to save profile %s there)", profile_name)
    if args.json:
        write_text(args.json, json.dumps(result["json"], indent=2, default=str) + "\n")
        logger.info("wrote %s", args.json)
    logger.info("learned in %.0f s", time.monotonic() - started)
    return 0


def run(
    args: argparse.Namespace, scoring: Scoring, database: Path, profile: str, profile_name: str
) -> dict[str, object]:
    """Load the dates, learn, evaluate; return the text, the seed rows and the JSON."""
    source_rows = scoring.profile_rows(profile)
    connection = duckdb.connect(str(database), read_only=True)
    try:
        order = metric_names(connection)
        weighted = {row["metric_name"] for row in source_rows}
        metrics = [metric for metric in order if metric in weighted]
        frames = {
            day: load_customers(connection, profile, day, args.horizon_days, metrics)
            for day in [*args.train_dates, *args.test_dates]
        }
        tiers = load_tiers(connection)
        last_day = data_end(connection)
        in_force = weights_in_force(connection, profile, args.test_dates[0], metrics)
    finally:
        connection.close()
    for day in frames:
        warn_if_horizon_unobserved(day, args.horizon_days, last_day)
    learned = learn(
        [frames[day] for day in args.train_dates],
        metrics,
        args.l2,
        args.bootstrap,
        args.seed,
        args.max_train_rows,
        args.decimals,
    )
    total = sum(float(row["weight"]) for row in source_rows)
    seed_shares = {row["metric_name"]: float(row["weight"]) / total for row in source_rows}
    evaluations = [
        evaluate_date(frames[day], tiers, day, "test", profile, profile_name, learned.weights)
        for day in args.test_dates
    ]
    training = [
        evaluate_date(frames[day], tiers, day, "train", profile, profile_name, learned.weights)
        for day in args.train_dates
    ]
    settings = {
        "profile": profile,
        "profile_name": profile_name,
        "train_dates": args.train_dates,
        "test_dates": args.test_dates,
        "horizon_days": args.horizon_days,
        "currency": scoring.currency,
        "window_days": scoring.window_days,
        "half_life_days": scoring.half_life_days,
        "l2": args.l2,
        "bootstrap": args.bootstrap,
        "seed": args.seed,
        "max_train_rows": args.max_train_rows,
        "decimals": args.decimals,
        "data_last_day": last_day,
    }
    text = render(
        learned, seed_shares, in_force, args.test_dates[0], evaluations, training, settings
    )
    payload = {
        "settings": settings,
        "method": (
            "logistic regression of bought-in-horizon on the normalised metrics, coefficients"
            " >= 0, free intercept, L2 penalty; weights = coefficients / their sum, rounded by"
            " largest remainder"
        ),
        "weights": [
            {
                "metric": metric,
                "seed_share": seed_shares[metric],
                "in_force": in_force.get(metric, 0.0),
                "learned": learned.weights[metric],
                "coefficient": learned.coefficients.get(metric, 0.0),
                "informative": metric in learned.informative,
                "bootstrap_p05": learned.bootstrap_low.get(metric),
                "bootstrap_p95": learned.bootstrap_high.get(metric),
            }
            for metric in metrics
        ],
        "intercept": learned.intercept,
        "training_rows": learned.training_rows,
        "training_buyers": learned.training_buyers,
        "evaluations": [asdict(evaluation) for evaluation in [*training, *evaluations]],
    }
    rows = learned_rows(source_rows, profile_name, learned.weights, args.decimals)
    return {"text": text, "rows": rows, "json": json.loads(json.dumps(payload, default=str))}


if __name__ == "__main__":
    sys.exit(main())
