"""The default profile's scores computed with pandas, as an analyst would.

A straightforward pandas version of the scoring (the same rules as the dbt
project and benchmarks/floor_scores.sql: cleaning, quarantine, duplicates,
identity matching, metrics over the trailing window, normalisation, weight
hand-over, tiers), reading the raw Parquet files whole into memory. It
exists to be timed against the dbt build by scripts/benchmark.py, in its
own process so its peak memory is its own.

Example::

    python scripts/pandas_scores.py --data-dir data/demo --out /tmp/pandas_scores.parquet
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
NULL_WORDS = {"", "null", "none"}
MIN_VALID = pd.Timestamp("1990-01-01", tz="UTC")
MAX_AMOUNT = 1e9
MAX_LINE_QUANTITY = 10000
METRICS = [
    "purchase_frequency",
    "total_spend",
    "average_order_value",
    "recency_days",
    "interaction_count",
    "product_views",
    "average_rating",
    "review_count",
    "social_engagement",
]


def text(column: pd.Series) -> pd.Series:
    """Trimmed text (Python's strip() removes every Unicode space), with
    empty, null and none made missing."""
    stripped = column.astype("str").str.strip()
    return stripped.mask(stripped.str.lower().isin(NULL_WORDS))


def ident(column: pd.Series) -> pd.Series:
    """A key as text; '17850.0' becomes '17850'."""
    return text(column).str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)


def utc(column: pd.Series) -> pd.Series:
    """ISO 8601 text as a UTC time; NaT when it does not parse."""
    return pd.to_datetime(text(column), utc=True, errors="coerce", format="ISO8601")


def number(column: pd.Series) -> pd.Series:
    """A finite number or NaN."""
    values = pd.to_numeric(text(column), errors="coerce")
    return values.where(values.abs() <= 1e300)


def whole(column: pd.Series) -> pd.Series:
    """A whole number ('2' or '2.0') or NaN."""
    cleaned = text(column)
    return pd.to_numeric(cleaned.where(cleaned.str.fullmatch(r"[+-]?[0-9]+(\.0+)?")), "coerce")


def email(column: pd.Series) -> pd.Series:
    compact = text(column).str.lower().str.replace(r"\s", "", regex=True)
    return compact.where(compact.str.fullmatch(r"[^@]+@[^@]+\.[^@]+").fillna(False))


def phone(column: pd.Series) -> pd.Series:
    cleaned = text(column)
    digits = cleaned.str.replace(r"[^0-9]", "", regex=True)
    result = digits.where(~digits.str.startswith("00").fillna(False), "+" + digits.str[2:])
    result = result.where(~cleaned.str.startswith("+").fillna(False), "+" + digits)
    return result.where(digits.str.len() >= 7)


def handle(column: pd.Series) -> pd.Series:
    return text(column).str.lower().str.replace(r"^@+", "", regex=True)


def raw_record(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """The raw row as compact JSON, as DuckDB's to_json writes it (tie-breaks)."""
    records = frame[list(columns)].astype(object).where(frame[list(columns)].notna(), None)
    return pd.Series(
        [
            json.dumps(
                dict(zip(columns, row, strict=True)), separators=(",", ":"), ensure_ascii=False
            )
            for row in records.itertuples(index=False)
        ],
        index=frame.index,
    )


def latest(
    frame: pd.DataFrame, key: str | list[str], order: list[str], ascending: list[bool]
) -> pd.DataFrame:
    """One row per key: the first by ``order``."""
    return frame.sort_values(order, ascending=ascending, na_position="last").drop_duplicates(key)


def valid_time(times: pd.Series, now: pd.Timestamp) -> pd.Series:
    return times.notna() & (times >= MIN_VALID) & (times <= now)


def compute_scores(data_dir: Path, seeds_dir: Path, window_days: int = 365) -> pd.DataFrame:
    """customer_id, score and tier of the balanced profile."""
    now = pd.Timestamp.now(tz="UTC")

    def read(table: str) -> pd.DataFrame:
        return pd.read_parquet(data_dir / f"{table}.parquet").astype("str")

    rates = pd.read_csv(seeds_dir / "currency_rates.csv", dtype=str)
    rates["eur_per_unit"] = rates["eur_per_unit"].astype(float)
    non_merchandise = set(
        pd.read_csv(seeds_dir / "non_merchandise_products.csv", dtype=str)["product_id"].str.upper()
    )

    # Customers and their keys.
    raw = read("crm__customers")
    customers = pd.DataFrame(
        {
            "customer_id": ident(raw["customer_id"]),
            "created_at": utc(raw["created_at"]),
            "updated_at": utc(raw["updated_at"]),
            "shop_account": ident(raw["shop_account_id"]),
            "email": email(raw["email"]),
            "phone": phone(raw["phone"]),
            "social_handle": handle(raw["social_handle"]),
            "raw_record": raw_record(raw, list(raw.columns)),
        }
    )
    customers["created_at"] = customers["created_at"].where(customers["created_at"] <= now)
    customers["updated_at"] = customers["updated_at"].where(customers["updated_at"] <= now)
    customers["changed_at"] = customers["updated_at"].fillna(customers["created_at"])
    customers = customers[customers["customer_id"].notna()]
    customers = latest(
        customers, "customer_id", ["customer_id", "changed_at", "raw_record"], [True, False, True]
    )
    key_frames = []
    for key_type in ["customer_id", "shop_account", "email", "phone", "social_handle"]:
        frame = pd.DataFrame(
            {
                "key_type": key_type,
                "key_value": customers[key_type],
                "customer_id": customers["customer_id"],
            }
        )
        key_frames.append(frame.dropna(subset=["key_value"]))
    keys = pd.concat(key_frames).drop_duplicates()
    holders = keys.groupby(["key_type", "key_value"])["customer_id"].agg(["nunique", "first"])
    holders = holders[holders["nunique"] == 1]["first"]
    lookup = {kt: holders.xs(kt).to_dict() for kt in holders.index.get_level_values(0).unique()}

    def match(values: pd.Series, key_type: str) -> pd.Series:
        return values.map(lookup.get(key_type, {}))

    # Orders, their lines and amounts.
    raw = read("shop__orders")
    orders = pd.DataFrame(
        {
            "order_id": ident(raw["order_id"]),
            "shop_account": ident(raw["shop_account_id"]),
            "email": email(raw["customer_email"]),
            "status": text(raw["status"]).str.lower(),
            "event_at": utc(raw["ordered_at"]),
            "currency_code": text(raw["currency"]).str.upper(),
            "total": number(raw["order_total"]),
            "total_2dp": pd.to_numeric(text(raw["order_total"]), errors="coerce").round(2),
            "total_text": text(raw["order_total"]),
            "raw_record": raw_record(raw, list(raw.columns)),
        }
    )
    bad = (
        orders["order_id"].isna()
        | ~valid_time(orders["event_at"], now)
        | ~orders["status"].isin(["completed", "cancelled", "returned"]).fillna(False)
        | ~orders["currency_code"].isin(rates["currency_code"]).fillna(False)
        | (orders["total_text"].notna() & orders["total"].isna())
        | (orders["total"] < 0)
        | (orders["total"] > MAX_AMOUNT)
        | (orders["shop_account"].isna() & orders["email"].isna())
    )
    orders["status_order"] = orders["status"].map({"returned": 1, "cancelled": 2}).fillna(3)
    state = orders[orders["order_id"].notna()].assign(valid=~bad).groupby("order_id")["valid"].any()
    kept_orders = latest(
        orders[~bad],
        "order_id",
        ["order_id", "event_at", "status_order", "raw_record"],
        [True, False, True, True],
    )

    raw = read("shop__order_lines")
    lines = pd.DataFrame(
        {
            "order_id": ident(raw["order_id"]),
            "line_number": whole(raw["line_number"]),
            "product_id": ident(raw["product_id"]).str.upper(),
            "quantity": whole(raw["quantity"]),
            "price_value": number(raw["unit_price"]),
            "price": pd.to_numeric(text(raw["unit_price"]), errors="coerce").round(4),
            "content": raw_record(raw, ["order_id", "product_id", "quantity", "unit_price"]),
            "raw_record": raw_record(raw, list(raw.columns)),
        }
    )
    lines["valid_order"] = lines["order_id"].map(state)
    lines["order_status"] = lines["order_id"].map(kept_orders.set_index("order_id")["status"])
    lines = lines[
        lines["line_number"].notna()
        & (lines["valid_order"] == True)  # noqa: E712 (missing means no order)
        & lines["product_id"].notna()
        & ~lines["product_id"].isin(non_merchandise).fillna(False)
        & lines["quantity"].notna()
        & lines["price_value"].notna()
        & (lines["quantity"] != 0)
        & ((lines["quantity"] > 0) | (lines["order_status"] == "cancelled"))
        & (lines["quantity"].abs() <= MAX_LINE_QUANTITY)
        & (lines["price_value"] > 0)
        & (lines["price_value"] <= MAX_AMOUNT)
    ]
    lines = latest(lines, "content", ["content", "line_number", "raw_record"], [True, True, True])
    lines = latest(
        lines, ["order_id", "line_number"], ["order_id", "line_number", "raw_record"], [True] * 3
    )
    line_totals = (lines["quantity"] * lines["price"]).groupby(lines["order_id"]).sum()
    rate = kept_orders["currency_code"].map(rates.set_index("currency_code")["eur_per_unit"])
    amount = kept_orders["total_2dp"].fillna(kept_orders["order_id"].map(line_totals)).fillna(0)
    order_events = pd.DataFrame(
        {
            "customer_id": match(kept_orders["shop_account"], "shop_account").fillna(
                match(kept_orders["email"], "email")
            ),
            "event_at": kept_orders["event_at"],
            "kind": np.where(kept_orders["status"] == "completed", "completed_order", "order"),
            "amount": amount * rate,
        }
    )

    def events(table: str, key: str, time_column: str, checks, customer) -> pd.DataFrame:
        raw = read(table)
        frame = pd.DataFrame(
            {
                "key": ident(raw[key]),
                "event_at": utc(raw[time_column]),
                "raw_record": raw_record(raw, list(raw.columns)),
            }
        )
        keep = frame["key"].notna() & valid_time(frame["event_at"], now) & checks(raw)
        frame = frame.assign(
            customer_id=customer(raw), rating=number(raw["rating"]) if "rating" in raw else np.nan
        )
        frame = latest(
            frame[keep.fillna(False)], "key", ["key", "event_at", "raw_record"], [True, False, True]
        )
        return frame[["customer_id", "event_at", "rating"]].assign(kind=table)

    interactions = events(
        "crm__interactions",
        "interaction_id",
        "occurred_at",
        lambda r: (
            ident(r["customer_id"]).notna()
            & text(r["channel"]).str.lower().isin(["call", "email", "chat", "visit"])
        ),
        lambda r: match(ident(r["customer_id"]), "customer_id"),
    )
    views = events(
        "shop__product_views",
        "view_id",
        "viewed_at",
        lambda r: (
            ident(r["product_id"]).notna()
            & (ident(r["shop_account_id"]).notna() | ident(r["session_id"]).notna())
        ),
        lambda r: match(ident(r["shop_account_id"]), "shop_account"),
    )
    engagements = events(
        "social__engagements",
        "engagement_id",
        "occurred_at",
        lambda r: (
            handle(r["social_handle"]).notna()
            & text(r["engagement_type"]).str.lower().isin(["like", "comment", "share", "mention"])
        ),
        lambda r: match(handle(r["social_handle"]), "social_handle"),
    )

    def feedback_ok(r: pd.DataFrame) -> pd.Series:
        rating = number(r["rating"])
        return (
            text(r["feedback_type"]).str.lower().isin(["review", "rating", "survey"])
            & ~(text(r["rating"]).notna() & rating.isna())
            & (rating.isna() | rating.between(1, 5))
            & (
                ident(r["customer_id"]).notna()
                | email(r["email"]).notna()
                | phone(r["phone"]).notna()
            )
        )

    feedback = events(
        "feedback__responses",
        "feedback_id",
        "submitted_at",
        feedback_ok,
        lambda r: (
            match(ident(r["customer_id"]), "customer_id")
            .fillna(match(email(r["email"]), "email"))
            .fillna(match(phone(r["phone"]), "phone"))
        ),
    )

    every = pd.concat([order_events, interactions, views, engagements, feedback], ignore_index=True)
    every["day"] = every["event_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
    as_of = every["day"].max()
    window_start = as_of - pd.Timedelta(days=window_days - 1)
    matched = every[every["customer_id"].notna()]
    recent = matched[matched["day"] >= window_start]
    by_kind = recent.groupby(["customer_id", "kind"]).size().unstack(fill_value=0)
    metrics = pd.DataFrame(index=customers["customer_id"])
    completed = recent[recent["kind"] == "completed_order"]
    metrics["purchase_frequency"] = by_kind.get("completed_order")
    metrics["total_spend"] = completed.groupby("customer_id")["amount"].sum()
    metrics["average_order_value"] = (metrics["total_spend"] / metrics["purchase_frequency"]).round(
        6
    )
    last_order = matched[matched["kind"] == "completed_order"].groupby("customer_id")["day"].max()
    metrics["recency_days"] = (as_of - last_order).dt.days.astype(float)
    metrics["interaction_count"] = by_kind.get("crm__interactions")
    metrics["product_views"] = by_kind.get("shop__product_views")
    metrics["average_rating"] = (
        recent[recent["kind"] == "feedback__responses"].groupby("customer_id")["rating"].mean()
    )
    metrics["review_count"] = by_kind.get("feedback__responses")
    metrics["social_engagement"] = by_kind.get("social__engagements")
    for column in [
        "purchase_frequency",
        "total_spend",
        "interaction_count",
        "product_views",
        "review_count",
        "social_engagement",
    ]:
        metrics[column] = metrics[column].fillna(0).astype(float).round(6)
    metrics["average_rating"] = metrics["average_rating"].round(6)

    first_day = matched.groupby("customer_id")["day"].min()
    created = customers.set_index("customer_id")["created_at"].dt.tz_localize(None).dt.normalize()
    known = created.isna() | (created <= as_of) | (metrics.index.map(first_day) <= as_of)
    metrics = metrics[np.asarray(known)]

    weights = pd.read_csv(seeds_dir / "scoring_weights.csv", dtype=str)
    weights = weights[weights["scoring_profile"] == "balanced"].set_index("metric_name")
    weights["share"] = weights["weight"].astype(float) / weights["weight"].astype(float).sum()
    normalised = {}
    for metric, row in weights.iterrows():
        values = metrics[metric]
        present = values.dropna()
        if len(present) <= 1 or present.max() == present.min():
            result = pd.Series(0.5, index=present.index)
        elif row["normalisation"] == "rank":
            result = (present.rank(method="min") - 1) / (len(present) - 1)
        elif row["normalisation"] == "minmax":
            result = (present - present.min()) / (present.max() - present.min())
        else:
            log_min = np.log1p(max(present.min(), 0))
            log_cap = np.log1p(max(present.quantile(0.99), 0))
            if log_cap == log_min:
                result = pd.Series(0.5, index=present.index)
            else:
                result = (np.minimum(np.log1p(present.clip(lower=0)), log_cap) - log_min) / (
                    log_cap - log_min
                )
        result = result.clip(0, 1)
        if row["direction"] == "lower_is_better":
            result = 1 - result
        normalised[metric] = result.reindex(values.index).fillna(float(row["value_if_missing"]))
    frame = pd.DataFrame(normalised)
    informative = frame.max() > frame.min()
    shares = weights["share"].where(informative, 0)
    effective = weights["share"] if shares.sum() == 0 else shares / shares.sum()
    score = (100 * frame[effective.index].mul(effective, axis=1)).sum(axis=1).clip(0, 100).round(4)

    tiers = pd.read_csv(seeds_dir / "score_tiers.csv")
    tier = pd.Series(pd.NA, index=score.index, dtype="object")
    for _, band in tiers.iterrows():
        inside = (score >= band["lower_bound"]) & (
            (score < band["upper_bound"]) | (band["upper_bound"] == 100)
        )
        tier = tier.mask(inside, band["tier_name"])
    return pd.DataFrame({"customer_id": score.index, "score": score.values, "tier": tier.values})


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, required=True, help="folder of the raw Parquet files"
    )
    parser.add_argument(
        "--seeds-dir", type=Path, default=ROOT / "seeds", help="folder of the seed CSVs"
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="Parquet file for customer_id, score, tier"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    scores = compute_scores(args.data_dir, args.seeds_dir)
    scores.to_parquet(args.out, index=False)
    logger.info("scored %d customers", len(scores))


if __name__ == "__main__":
    main()
