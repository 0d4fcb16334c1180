"""Generate seeded, realistic raw CBS source data with deliberate dirt.

Writes every raw table of the source contract (scripts/cbs_contract.py, read
from models/staging/*/_*__sources.yml) as one Parquet file of text columns,
``<out>/<source>__<table>.parquet``, plus ``<out>/_manifest.json`` with the
arguments, the row count of every table, how much of each kind of dirt was
injected where, and the customers planted to stop all activity 90 days before
the end date (for the alert tests).

Everything is generated inside DuckDB with SQL. Randomness is a hash of
(seed, row key, salt) mapped to [0, 1), never random(), so the content is a
pure function of the arguments whatever the number of threads; only the
default end date (yesterday, UTC) depends on when the script runs.

Example::

    python scripts/generate_data.py --out data/demo --size demo
    python scripts/generate_data.py --out data/demo --customers 5000 --seed 42 \\
        --end-date 2026-11-30 --days 730
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from cbs_contract import file_name, source_tables

logger = logging.getLogger(__name__)

# Customers per size preset. At the default 730 days the generator makes
# about ten events (interactions, orders, product views, engagements and
# feedback) per CRM customer, so 10m and 100m name the event volume.
SIZES: dict[str, int] = {
    "tiny": 200,
    "small": 2_000,
    "demo": 20_000,
    "10m": 1_000_000,
    "100m": 10_000_000,
}
EVENT_TABLES = (
    "crm__interactions",
    "shop__orders",
    "shop__product_views",
    "social__engagements",
    "feedback__responses",
)
MANIFEST_NAME = "_manifest.json"
MIN_DAYS = 200
# Planted customers act last on end_date - (DROP_DAYS + 1): nothing in the last DROP_DAYS days.
DROP_DAYS = 90
DROP_SHARE = 0.02
# They are drawn from the busiest customers (activity at least this, about
# the top tenth): the valuable customers whose silence a business must
# notice.
DROP_MIN_ACTIVITY = 2.0
# Until they stop, they are regulars: at least one event of each kind every
# so many days of their active period, spread evenly (a random offset in
# each equal slice, not anywhere in the period), and they are known by every
# key (e-mail, shop account, social handle) and write reviews. Their last 90
# days before the silence hold about 3 orders, 6 product views and 15
# events in all, and their score falls from the top to the bottom. An
# ordinary customer's events fall anywhere in the period: one order a season
# leaves or enters a 90-day window and moves the score a lot, but not as far.
DROP_REGULAR_EVERY_DAYS = {
    "orders": 30,
    "interactions": 40,
    "views": 14,
    "engagements": 30,
    "feedback": 60,
}

# Events per day for a customer of average activity who is active all period.
RATE_PER_DAY = {
    "orders": 2.8 / 730,
    "interactions": 2.4 / 730,
    "views": 6.6 / 730,
    "engagements": 4.4 / 730,
    "feedback": 2.0 / 730,
}

FIRST_NAMES = (
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida", "Jonas",
    "Katrin", "Lukas", "Marie", "Noah", "Olivia", "Paul", "Quentin", "Rosa", "Samuel",
    "Tina", "Ulrich", "Vera", "William", "Yara", "Zoe", "James", "Sophie", "Lucas",
    "Chloe", "Mateo", "Lucia", "Marco", "Giulia", "Sem", "Fleur", "Oliver", "Amelia",
    "Liam", "Mia", "Elias", "Hannah", "Louis", "Camille", "Noemi", "Ines", "Pablo",
    "Sara", "Tom", "Lea", "Max",
)  # fmt: skip
LAST_NAMES = (
    "Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
    "Hoffmann", "Koch", "Martin", "Bernard", "Dubois", "Durand", "Moreau", "Laurent",
    "Jansen", "DeVries", "Bakker", "Visser", "Smith", "Jones", "Taylor", "Brown",
    "Wilson", "Evans", "Garcia", "Fernandez", "Lopez", "Martinez", "Rossi", "Russo",
    "Ferrari", "Esposito", "Bianchi", "Johnson", "Williams", "Miller", "Davis",
    "Peeters", "Maes", "Gruber", "Huber", "Novak", "Berg", "Lindqvist", "OBrien",
    "Murphy", "Kelly", "Walsh",
)  # fmt: skip
# (name as recorded, ISO code, share, phone country code, currency, postcode form)
COUNTRIES = (
    ("Germany", "DE", 0.30, "49", "EUR", "d5"),
    ("France", "FR", 0.12, "33", "EUR", "d5"),
    ("Netherlands", "NL", 0.09, "31", "EUR", "nl"),
    ("United Kingdom", "GB", 0.13, "44", "GBP", "uk"),
    ("Spain", "ES", 0.08, "34", "EUR", "d5"),
    ("Italy", "IT", 0.08, "39", "EUR", "d5"),
    ("United States", "US", 0.10, "1", "USD", "d5"),
    ("Austria", "AT", 0.05, "43", "EUR", "d4"),
    ("Belgium", "BE", 0.05, "32", "EUR", "d4"),
)
# Units of each currency per euro (the inverse of seeds/currency_rates.csv).
UNITS_PER_EUR = {"EUR": 1.0, "GBP": 0.855, "USD": 1.087}
# (lower-case domain, the same domain in odd case)
EMAIL_DOMAINS = (
    ("example.com", "Example.COM"),
    ("example.org", "Example.Org"),
    ("example.net", "EXAMPLE.net"),
    ("mail.example", "Mail.Example"),
    ("post.example.de", "Post.Example.DE"),
)
# (category, typical list price in EUR, share of customers who prefer it, nouns)
CATEGORIES = (
    ("Electronics", 89.0, 0.14, ("Headphones", "Speaker", "Charger", "Smartwatch", "Camera")),
    ("Home & Kitchen", 35.0, 0.13, ("Kettle", "Pan", "Knife Set", "Mug", "Blender")),
    ("Garden", 29.0, 0.06, ("Planter", "Hose", "Lantern", "Seed Kit", "Bench Cushion")),
    ("Toys", 19.0, 0.08, ("Puzzle", "Building Set", "Plush Bear", "Kite", "Board Game")),
    ("Books", 14.0, 0.09, ("Novel", "Cookbook", "Travel Guide", "Notebook Atlas")),
    ("Clothing", 39.0, 0.12, ("T-Shirt", "Hoodie", "Scarf", "Jacket", "Jeans")),
    ("Shoes", 69.0, 0.07, ("Sneakers", "Boots", "Sandals", "Loafers")),
    ("Beauty", 17.0, 0.08, ("Face Cream", "Shampoo", "Perfume", "Lip Balm")),
    ("Sports", 45.0, 0.07, ("Yoga Mat", "Water Bottle", "Dumbbell", "Running Belt")),
    ("Jewellery", 59.0, 0.04, ("Necklace", "Ring", "Bracelet", "Earrings")),
    ("Stationery", 6.0, 0.06, ("Pen Set", "Sketchbook", "Sticky Notes", "Planner")),
    ("Food & Drink", 9.0, 0.06, ("Coffee Beans", "Tea Tin", "Chocolate Box", "Olive Oil")),
)
ADJECTIVES = (
    "Classic", "Compact", "Deluxe", "Eco", "Essential", "Premium", "Retro", "Smart",
    "Soft", "Travel", "Urban", "Vintage",
)  # fmt: skip
PLATFORMS = ("Instagram", "Facebook", "X", "TikTok", "LinkedIn", "YouTube")
REGIONS = ("North", "South", "East", "West", "Central", "DACH", "Benelux", "UK & Ireland")
REVIEW_TEXT = {
    1: ("Very disappointed.", "Broke after a week.", "Would not buy again."),
    2: ("Not what I expected.", "Quality could be better.", "Delivery took too long."),
    3: ("It is okay for the price.", "Does the job.", "Average quality."),
    4: ("Good product, happy with it.", "Fast delivery.", "Nice quality overall."),
    5: ("Absolutely love it!", "Excellent quality.", "Best purchase this year."),
}
SURVEY_TEXT = (
    "Checkout was easy.", "More payment options please.", "Support answered quickly.",
    "Shipping costs are high.", "Great selection.", "The app is slow.",
)  # fmt: skip
# Hours of the day, repeated by how often events happen then.
HOURS = {
    "shop": (0, 1, 7, 8, 9, 10, 11, 12, 12, 13, 13, 14, 15, 16, 17, 18, 18, 19, 19, 20,
             20, 20, 21, 21, 21, 22, 22, 23),
    "crm": (8, 9, 9, 10, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 16, 17, 18),
    "social": (7, 8, 12, 12, 13, 17, 18, 19, 19, 20, 20, 21, 21, 21, 22, 22, 23, 0),
}  # fmt: skip
# Relative volume by month (January first) and by ISO weekday (Monday first).
MONTH_FACTORS = {
    "shop": (0.85, 0.8, 0.9, 0.9, 0.95, 0.9, 0.9, 0.9, 1.0, 1.05, 1.6, 1.8),
    "crm": (0.95, 1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 0.8, 1.0, 1.05, 1.2, 1.15),
    "social": (0.9, 0.9, 0.95, 1.0, 1.0, 1.05, 1.1, 1.05, 1.0, 1.0, 1.2, 1.3),
}
WEEKDAY_FACTORS = {
    "shop": (1.05, 1.0, 1.0, 1.0, 0.95, 1.05, 1.25),
    "crm": (1.25, 1.2, 1.2, 1.15, 1.05, 0.35, 0.15),
    "social": (0.9, 0.9, 0.95, 0.95, 1.0, 1.15, 1.2),
}

# Literal forms of the dirt, listed in the module so the staging layer can
# be tested against exactly these.
NULL_TOKENS = ("", "   ", "null", "NULL", "None")
INVALID_TIMESTAMPS = (
    "2024-13-45 10:00:00",
    "yesterday",
    "0000-00-00 00:00:00",
    "not a date",
    "2025-02-30T25:61:00Z",
)
INVALID_DATES = ("1985-02-30", "31.12.1980", "unknown", "0000-00-00")
EMPTY_KEYS = ("", "   ", None)
NON_NUMERIC_RATINGS = ("five", "4 stars", "three")
OUT_OF_RANGE_RATINGS = ("0", "9", "6", "10")
ABSURD_QUANTITY = "1000000"
LONG_BODY_CHARS = 10_000


def sql_literal(value: object) -> str:
    """Render a Python value as a SQL literal."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def sql_list(values: Sequence[object]) -> str:
    """Render a sequence as a DuckDB list literal."""
    return "[" + ", ".join(sql_literal(value) for value in values) + "]"


def weighted_case(draw: str, values: Sequence[str], weights: Sequence[float]) -> str:
    """CASE expression picking values[i] (SQL text) with probability weights[i]."""
    total = float(sum(weights))
    parts, cumulative = [], 0.0
    for value, weight in zip(values[:-1], weights[:-1], strict=True):
        cumulative += weight / total
        parts.append(f"when {draw} < {cumulative:.6f} then {value}")
    return "case " + " ".join(parts) + f" else {values[-1]} end"


@dataclass(frozen=True)
class Settings:
    """Everything the generated content depends on."""

    customers: int
    seed: int
    end_date: date
    days: int
    size: str | None = None

    @property
    def start_date(self) -> date:
        """First day of the generated period (the period has `days` days)."""
        return self.end_date - timedelta(days=self.days - 1)

    @property
    def outsiders(self) -> int:
        """People active in the shop or on social media but unknown to the CRM."""
        return max(5, self.customers // 20)

    @property
    def products(self) -> int:
        """Catalogue size: about one product per ten customers, 300 to 2,000."""
        return min(2_000, max(300, self.customers // 10))

    @property
    def sales_reps(self) -> int:
        """About one sales rep per 500 customers, at least three."""
        return max(3, self.customers // 500)

    def as_dict(self) -> dict[str, object]:
        """The arguments as recorded in the manifest."""
        return {
            "size": self.size,
            "customers": self.customers,
            "seed": self.seed,
            "end_date": self.end_date.isoformat(),
            "start_date": self.start_date.isoformat(),
            "days": self.days,
        }


@dataclass(frozen=True)
class Dirt:
    """One kind of cell-level dirt: which columns change, how, on which rows."""

    kind: str
    share: float
    changes: dict[str, str]
    when: str = "true"


@dataclass(frozen=True)
class TableDirt:
    """The dirt plan of one raw table."""

    key: str
    cells: tuple[Dirt, ...]
    key_duplicate: dict[str, str]
    key_duplicate_share: float = 0.004
    exact_duplicate_share: float = 0.006


def pick(values: Sequence[object], draw: str = "_v") -> str:
    """SQL picking one of the literal values by a uniform draw in [0, 1)."""
    return f"{sql_list(values)}[1 + floor({draw} * {len(values)})::int]"


def by_column(draw: str, options: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Spread a change over several columns: each row changes one of them."""
    changes: dict[str, str] = {}
    for position, (column, expression) in enumerate(options):
        low, high = position / len(options), (position + 1) / len(options)
        changes[column] = (
            f"case when {draw} >= {low:.6f} and {draw} < {high:.6f} "
            f"then {expression} else {column} end"
        )
    return changes


def padded(expression: str) -> str:
    """SQL wrapping a text in leading and/or trailing spaces."""
    return (
        f"case when _w < 0.5 then '  ' || {expression} || ' ' "
        f"when _w < 0.75 then ' ' || {expression} else {expression} || '  ' end"
    )


def odd_case(column: str) -> str:
    """SQL for a text in upper case or with a capital first letter, padded."""
    cased = (
        f"case when _v < 0.5 then upper({column})"
        f" else upper(left({column}, 1)) || substr({column}, 2) end"
    )
    return padded(cased)


def timestamp_dirt(column: str) -> tuple[Dirt, ...]:
    """Invalid, far-future and year-1900 values for one timestamp column."""
    return (
        Dirt("invalid_timestamps", 0.002, {column: pick(INVALID_TIMESTAMPS)}),
        Dirt(
            "future_timestamps",
            0.001,
            {column: "iso_ts(_future_ts, _w)"},
            when="not _protected",
        ),
        Dirt("ancient_timestamps", 0.001, {column: "iso_ts(_ancient_ts, _w * 0.75)"}),
    )


def empty_key(column: str, share: float = 0.001) -> Dirt:
    """A row whose primary key is empty, blank or NULL."""
    return Dirt("empty_primary_keys", share, {column: pick(EMPTY_KEYS)})


def null_tokens(columns: Sequence[str], share: float, when: str = "true") -> Dirt:
    """Optional text replaced by '', blanks or the words null / NULL / None."""
    token = pick(NULL_TOKENS, "_w")
    return Dirt("null_tokens", share, by_column("_c", [(c, token) for c in columns]), when)


def orphan_customer(share: float) -> Dirt:
    """A customer id of the CRM's form that no CRM customer has."""
    return Dirt(
        "orphan_customer_ids",
        share,
        {"customer_id": "'C9' || lpad(floor(_v * 9999999)::bigint::varchar, 7, '0')"},
        when="customer_id is not null",
    )


def float_id(column: str, share: float = 0.003) -> Dirt:
    """A numeric key written as a float, as spreadsheets export it."""
    return Dirt("float_ids", share, {column: f"{column} || '.0'"}, when=f"{column} is not null")


def dirt_plans() -> dict[str, TableDirt]:
    """The dirt injected into each raw table."""
    return {
        "crm__customers": TableDirt(
            key="customer_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.006,
                    {
                        "email": (
                            "case when _c < 0.7 then "
                            + padded("case when _v < 0.7 then _email_proper else upper(email) end")
                            + " else email end"
                        ),
                        "last_name": (
                            "case when _c >= 0.7 then "
                            + odd_case("last_name")
                            + " else last_name end"
                        ),
                    },
                    when="email is not null",
                ),
                null_tokens(("phone", "birth_date", "country", "postcode", "social_handle"), 0.006),
                Dirt("invalid_dates", 0.002, {"birth_date": pick(INVALID_DATES)}),
                Dirt("invalid_timestamps", 0.002, {"updated_at": pick(INVALID_TIMESTAMPS)}),
                Dirt("future_timestamps", 0.001, {"updated_at": "iso_ts(_future_ts, _w)"}),
                Dirt("ancient_timestamps", 0.001, {"created_at": "iso_ts(_ancient_ts, _w * 0.75)"}),
                empty_key("customer_id"),
            ),
            key_duplicate={
                "updated_at": (
                    "iso_ts(_updated_ts + to_seconds(3600 + floor(_v * 86400)::bigint), _w)"
                ),
                "email": (
                    "case when _v < 0.6 and email is not null then _email_changed else email end"
                ),
                "phone": "case when _v >= 0.6 or email is null then _phone_changed else phone end",
            },
            key_duplicate_share=0.005,
            exact_duplicate_share=0.005,
        ),
        "crm__interactions": TableDirt(
            key="interaction_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.004,
                    by_column(
                        "_c",
                        [("channel", odd_case("channel")), ("direction", odd_case("direction"))],
                    ),
                ),
                null_tokens(("sales_rep_id",), 0.003),
                *timestamp_dirt("occurred_at"),
                Dirt("unknown_enums", 0.002, {"channel": "'fax'"}),
                orphan_customer(0.003),
                empty_key("interaction_id"),
            ),
            key_duplicate={
                "channel": "case channel when 'email' then 'call' else 'email' end",
                "occurred_at": "iso_ts(_ts - to_seconds(60 + floor(_v * 3000)::bigint), _w)",
            },
        ),
        "crm__sales_reps": TableDirt(
            key="sales_rep_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.005,
                    by_column("_c", [("email", odd_case("email")), ("region", odd_case("region"))]),
                ),
                null_tokens(("region",), 0.005),
                empty_key("sales_rep_id", 0.005),
            ),
            key_duplicate={"capacity_accounts": "(_capacity + 5)::varchar"},
            key_duplicate_share=0.005,
            exact_duplicate_share=0.005,
        ),
        "shop__orders": TableDirt(
            key="order_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.004,
                    by_column(
                        "_c",
                        [
                            ("customer_email", padded("upper(customer_email)")),
                            ("status", odd_case("status")),
                            ("currency", odd_case("lower(currency)")),
                        ],
                    ),
                    when="customer_email is not null",
                ),
                null_tokens(("customer_email",), 0.002, when="shop_account_id is not null"),
                *timestamp_dirt("ordered_at"),
                Dirt("unknown_enums", 0.002, {"status": "'pending'"}),
                Dirt(
                    "negative_amounts",
                    0.002,
                    {"order_total": "'-' || order_total"},
                    when="order_total is not null",
                ),
                float_id("shop_account_id"),
                empty_key("order_id"),
            ),
            key_duplicate={
                "status": (
                    "case when _status = 'completed' "
                    "then case when _v < 0.5 then 'returned' else 'cancelled' end "
                    "else 'completed' end"
                ),
            },
        ),
        "shop__order_lines": TableDirt(
            key="order_id",
            cells=(
                Dirt("negative_amounts", 0.002, {"unit_price": "'-' || unit_price"}),
                Dirt("absurd_quantities", 0.001, {"quantity": sql_literal(ABSURD_QUANTITY)}),
                float_id("order_id"),
                Dirt(
                    "orphan_order_ids",
                    0.002,
                    {"order_id": "(90000000 + floor(_v * 9999999))::bigint::varchar"},
                ),
                empty_key("order_id"),
            ),
            key_duplicate={"quantity": "(_quantity + 1)::varchar"},
            key_duplicate_share=0.003,
        ),
        "shop__products": TableDirt(
            key="product_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.01,
                    by_column(
                        "_c",
                        [
                            ("category", odd_case("category")),
                            ("product_name", odd_case("product_name")),
                        ],
                    ),
                ),
                null_tokens(("product_name",), 0.005),
                Dirt("negative_amounts", 0.003, {"list_price": "'-' || list_price"}),
                empty_key("product_id", 0.003),
            ),
            key_duplicate={"list_price": "round(_price * 1.1, 2)::decimal(12, 2)::varchar"},
            key_duplicate_share=0.005,
            exact_duplicate_share=0.005,
        ),
        "shop__product_views": TableDirt(
            key="view_id",
            cells=(
                null_tokens(("shop_account_id",), 0.002, when="shop_account_id is not null"),
                float_id("shop_account_id"),
                Dirt(
                    "unknown_product_ids",
                    0.003,
                    {"product_id": "'P9' || lpad(floor(_v * 9999)::bigint::varchar, 4, '0')"},
                ),
                *timestamp_dirt("viewed_at"),
                empty_key("view_id"),
            ),
            key_duplicate={
                "viewed_at": "iso_ts(_ts - to_seconds(1 + floor(_v * 30)::bigint), _w)",
            },
            key_duplicate_share=0.003,
        ),
        "social__engagements": TableDirt(
            key="engagement_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.004,
                    by_column(
                        "_c",
                        [
                            ("platform", odd_case("platform")),
                            ("engagement_type", odd_case("engagement_type")),
                        ],
                    ),
                ),
                null_tokens(("social_handle",), 0.002),
                Dirt("unknown_enums", 0.002, {"engagement_type": "'poke'"}),
                *timestamp_dirt("occurred_at"),
                empty_key("engagement_id"),
            ),
            key_duplicate={
                "engagement_type": "case engagement_type when 'like' then 'share' else 'like' end",
            },
        ),
        "feedback__responses": TableDirt(
            key="feedback_id",
            cells=(
                Dirt(
                    "padded_odd_case",
                    0.004,
                    by_column(
                        "_c",
                        [
                            (
                                "email",
                                "case when email is null then null else "
                                + padded("upper(email)")
                                + " end",
                            ),
                            ("feedback_type", odd_case("feedback_type")),
                        ],
                    ),
                ),
                null_tokens(("body", "product_id"), 0.004),
                Dirt("unknown_enums", 0.002, {"feedback_type": "'complaint'"}),
                Dirt("non_numeric_ratings", 0.003, {"rating": pick(NON_NUMERIC_RATINGS)}),
                Dirt("out_of_range_ratings", 0.002, {"rating": pick(OUT_OF_RANGE_RATINGS)}),
                orphan_customer(0.003),
                Dirt(
                    "long_bodies",
                    0.001,
                    {
                        "body": (
                            "left(repeat(coalesce(body, 'No comment.') || ' ', 2000),"
                            f" {LONG_BODY_CHARS})"
                        )
                    },
                ),
                *timestamp_dirt("submitted_at"),
                empty_key("feedback_id"),
            ),
            key_duplicate={"rating": "(_rating % 5 + 1)::varchar"},
        ),
    }


def create_macros(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Seeded draws, ISO 8601 formatting and product choice as SQL macros.

    u01 hashes twice: DuckDB combines the hashes of several arguments in a
    way that leaves draws with different salts correlated, and hashing the
    combined value again removes that.
    """
    offsets = ((60, "+01:00"), (120, "+02:00"), (-300, "-05:00"), (0, "+00:00"), (330, "+05:30"))
    minutes = sql_list([minute for minute, _ in offsets])
    texts = sql_list([text for _, text in offsets])
    offset_index = f"1 + floor((u - 0.75) * {4 * len(offsets)})::int"
    con.execute(f"""
        create or replace macro u01(k1, k2, salt) as
            ((hash(hash({settings.seed}::bigint, k1::bigint, k2::bigint, salt::varchar)) >> 11)
                ::double + 0.5) / 9007199254740992.0;
        create or replace macro z01(k1, k2, salt) as
            sqrt(-2 * ln(u01(k1, k2, salt || '/radius')))
                * cos(2 * pi() * u01(k1, k2, salt || '/angle'));
        create or replace macro iso_ts(ts, u) as case
            when u < 0.5 then strftime(ts, '%Y-%m-%d %H:%M:%S')
            when u < 0.75 then strftime(ts, '%Y-%m-%dT%H:%M:%SZ')
            else strftime(ts + to_minutes({minutes}[{offset_index}]), '%Y-%m-%dT%H:%M:%S')
                || {texts}[{offset_index}]
        end;
        create or replace macro product_index(category, u) as
            floor((({settings.products} - 1 - category) // 12 + 1) * pow(u, 2.2))::bigint * 12
                + category;
        create or replace macro product_code(product_index) as
            'P' || lpad((product_index + 1)::varchar, 5, '0');
        create or replace macro choose_category(favourite, second, u_pick, u_any) as case
            when u_pick < 0.55 then favourite
            when u_pick < 0.75 then second
            else floor(u_any * 12)::int
        end;
    """)


def build_calendar(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """One row per day with cumulative seasonal weights per activity profile."""
    weights = []
    for profile in ("shop", "crm", "social"):
        months, weekdays = sql_list(MONTH_FACTORS[profile]), sql_list(WEEKDAY_FACTORS[profile])
        special = "case when is_black_friday then 3.0 else 1.0 end" if profile == "shop" else "1.0"
        weights.append(
            f"greatest(1, round(1000 * trend * {months}[month_number] * {weekdays}[weekday]"
            f" * {special}))::bigint as {profile}_w"
        )
    sums = [
        f"(sum({profile}_w) over (order by day) - {profile}_w)::bigint as {profile}_start,"
        f" {profile}_w"
        for profile in ("shop", "crm", "social")
    ]
    con.execute(f"""
        create or replace table calendar as
        with days as (
            select date '{settings.start_date}' + range::int as day, range as position
            from range({settings.days})
        ),
        factors as (
            select
                day,
                1 + 0.2 * position / {settings.days} as trend,
                month(day) as month_number,
                isodow(day) as weekday,
                month(day) = 11 and isodow(day) = 5 and dayofmonth(day) between 23 and 29
                    as is_black_friday
            from days
        ),
        weighted as (
            select day, {", ".join(weights)} from factors
        )
        select day, {", ".join(sums)} from weighted
    """)


def build_people(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Everyone who acts: CRM customers first, then people the CRM does not know."""
    start, end = f"date '{settings.start_date}'", f"date '{settings.end_date}'"
    n_people = settings.customers + settings.outsiders
    countries = weighted_case("u_country", [str(i + 1) for i in range(len(COUNTRIES))],
                              [c[2] for c in COUNTRIES])  # fmt: skip
    favourite = weighted_case("u_favourite", [str(i) for i in range(len(CATEGORIES))],
                              [c[2] for c in CATEGORIES])  # fmt: skip
    con.execute(f"""
        create or replace table people_base as
        with draws as (
            select
                range::bigint as idx,
                range <= {settings.customers} as in_crm,
                u01(range, 0, 'country') as u_country,
                u01(range, 0, 'new') as u_new,
                u01(range, 0, 'age') as u_age,
                u01(range, 0, 'churn') as u_churn,
                u01(range, 0, 'churn_day') as u_churn_day,
                exp(1.25 * z01(range, 0, 'activity') - 0.78125) as activity
            from range(1, {n_people + 1})
        ),
        dated as (
            select
                *,
                case
                    when u_new < 0.6 then {start} - 1 - floor(u_age * 1095)::int
                    else {start} + floor(u_age * ({settings.days} - 7))::int
                end as created_day
            from draws
        )
        select
            *,
            {countries} as country_index,
            u_churn < 0.22 and created_day < {end} - 395 as is_churned,
            created_day + floor(u_churn_day * ({end} - 365 - created_day))::int as churn_day
        from dated
    """)
    eligible = (
        f"in_crm and not is_churned and activity >= {DROP_MIN_ACTIVITY}"
        f" and created_day <= {start} + {settings.days // 4}"
    )
    share = DROP_SHARE * settings.customers
    names = [c[0] for c in COUNTRIES]
    isos = [c[1] for c in COUNTRIES]
    calling = [c[3] for c in COUNTRIES]
    currencies = [c[4] for c in COUNTRIES]
    postcode_forms = [c[5] for c in COUNTRIES]
    domains = [d[0] for d in EMAIL_DOMAINS]
    domains_odd = [d[1] for d in EMAIL_DOMAINS]
    n_domains = len(EMAIL_DOMAINS)

    def count(kind: str, flag: str, minimum: int) -> str:
        rate = RATE_PER_DAY[kind]
        expected = (
            f"{rate} * activity * exp(0.6 * z01(idx, 0, 'affinity:{kind}') - 0.18) * active_days"
        )
        drawn = f"floor({expected} + u01(idx, 0, 'count:{kind}'))::int"
        regular = (
            f"ceil(active_days / {DROP_REGULAR_EVERY_DAYS[kind]})::int"
            if kind in DROP_REGULAR_EVERY_DAYS
            else "0"
        )
        floor_value = f"case when is_planted then greatest({minimum}, {regular}) else 0 end"
        return (
            f"case when active_days > 0 and {flag} then greatest({drawn}, {floor_value}) else 0 end"
            f" as n_{kind}"
        )

    con.execute(f"""
        create or replace table people as
        with eligible as (
            select count(*) as n from people_base where {eligible}
        ),
        flagged as (
            select
                b.*,
                ({eligible}) and u01(b.idx, 0, 'drop') < {share} / greatest(e.n, 1) as is_planted
            from people_base as b
            cross join eligible as e
        ),
        windows as (
            select
                *,
                greatest(created_day, {start}) as active_from,
                case
                    when is_planted then {end} - {DROP_DAYS + 1}
                    when is_churned then churn_day
                    else {end}
                end as active_to
            from flagged
        ),
        named as (
            select
                *,
                greatest(active_to - active_from + 1, 0) as active_days,
                'C' || lpad(idx::varchar, 8, '0') as customer_id,
                {pick(FIRST_NAMES, "u01(idx, 0, 'first')")} as first_name,
                {pick(LAST_NAMES, "u01(idx, 0, 'last')")} as last_name,
                floor(u01(idx, 0, 'email_form') * 4)::int as email_form,
                1 + floor(u01(idx, 0, 'domain') * {n_domains})::int as domain_index,
                in_crm and (is_planted or u01(idx, 0, 'has_email') < 0.97) as has_email,
                u01(idx, 0, 'has_phone') < 0.85 as has_phone,
                is_planted or u01(idx, 0, 'has_account') < 0.75 as has_account,
                is_planted or u01(idx, 0, 'social') < 0.6 as is_social,
                is_planted or u01(idx, 0, 'writer') < 0.5 as is_writer,
                {sql_list(names)}[country_index] as country_name,
                {sql_list(isos)}[country_index] as country_iso,
                {sql_list(calling)}[country_index] as calling_code,
                {sql_list(currencies)}[country_index] as currency,
                {sql_list(postcode_forms)}[country_index] as postcode_form,
                {pick(("151", "160", "170", "176", "612", "743"), "u01(idx, 0, 'mobile')")}
                    as mobile_prefix,
                lpad(((idx * 48271) % 100000000)::varchar, 8, '0') as phone_number,
                lpad((((idx + 50000000) * 48271) % 100000000)::varchar, 8, '0')
                    as changed_phone_number,
                (10000000 + (idx * 7919) % 90000000)::varchar as account_id,
                {pick(("_", ".", ""), "u01(idx, 0, 'handle_sep')")} as handle_separator,
                {favourite} as fav_cat,
                1 + floor(u01(idx, 0, 'rep') * {settings.sales_reps})::int as rep_index,
                {pick(PLATFORMS, "u01(idx, 0, 'platform')")} as favourite_platform
            from (select *, u01(idx, 0, 'favourite') as u_favourite from windows)
        ),
        keyed as (
            select
                *,
                (fav_cat + 1 + floor(u01(idx, 0, 'second_category') * 11)::int) % 12
                    as second_cat,
                case email_form
                    when 0 then lower(first_name) || '.' || lower(last_name)
                    when 1 then lower(left(first_name, 1)) || '.' || lower(last_name)
                    when 2 then lower(first_name) || lower(last_name)
                    else lower(last_name) || '.' || lower(first_name)
                end || idx::varchar as email_local,
                case email_form
                    when 0 then first_name || '.' || last_name
                    when 1 then left(first_name, 1) || '.' || last_name
                    when 2 then first_name || last_name
                    else last_name || '.' || first_name
                end || idx::varchar as email_local_odd,
                first_name || handle_separator || last_name || idx::varchar as handle,
                in_crm and is_social and (is_planted or u01(idx, 0, 'handle_known') < 0.75)
                    as handle_known
            from named
        ),
        contact as (
            select
                *,
                email_local || '@' || {sql_list(domains)}[domain_index] as email,
                email_local_odd || '@' || {sql_list(domains_odd)}[domain_index] as email_odd,
                email_local || '@' || {sql_list(domains)}[domain_index % {n_domains} + 1]
                    as changed_email,
                case
                    when has_email then email_local || '@' || {sql_list(domains)}[domain_index]
                    else email_local || '@inbox.example'
                end as shop_email,
                case
                    when has_email
                        then email_local_odd || '@' || {sql_list(domains_odd)}[domain_index]
                    else email_local_odd || '@Inbox.Example'
                end as shop_email_odd
            from keyed
        ),
        counted as (
            select
                *,
                {count("orders", "true", 2)},
                {count("interactions", "in_crm", 1)},
                {count("views", "true", 1)},
                {count("engagements", "is_social", 0)},
                {count("feedback", "is_writer", 0)}
            from contact
        )
        select
            counted.* exclude (
                u_country, u_new, u_age, u_churn, u_churn_day, u_favourite, email_form,
                domain_index, email_local, email_local_odd, handle_separator
            ),
            first_day.shop_start as shop_from,
            last_day.shop_start + last_day.shop_w as shop_to,
            first_day.crm_start as crm_from,
            last_day.crm_start + last_day.crm_w as crm_to,
            first_day.social_start as social_from,
            last_day.social_start + last_day.social_w as social_to
        from counted
        left join calendar as first_day on first_day.day = counted.active_from
        left join calendar as last_day on last_day.day = counted.active_to
    """)
    # Event keys are numbered per kind in customer order; the running sums
    # run on a narrow table because a window over the wide one is slow.
    kinds = ("orders", "interactions", "views", "engagements", "feedback")
    offsets = ", ".join(
        f"(sum(n_{kind}) over (order by idx) - n_{kind})::bigint as off_{kind}" for kind in kinds
    )
    counts = ", ".join(f"n_{kind}" for kind in kinds)
    con.execute(f"""
        create or replace table event_offsets as
        select idx, {offsets} from (select idx, {counts} from people)
    """)


def expand_events(kind: str, profile: str) -> str:
    """CTEs `expanded` and `events`: one row per event of `kind` with its UTC time.

    Each person's n_<kind> events are spread over their active window by the
    profile's seasonal calendar (inverse CDF with an ASOF join), and given an
    hour of day from the profile's daily pattern. A planted customer's j-th
    event falls in the j-th of n equal slices of that window (by seasonal
    weight), so their events come at a steady pace until they stop.
    """
    hours = HOURS[profile]
    return f"""
        expanded as (
            select
                idx,
                j,
                off_{kind} + j + 1 as seq,
                {profile}_from
                    + floor(
                        case
                            when is_planted then (j + u01(idx, j, '{kind}:day')) / n_{kind}
                            else u01(idx, j, '{kind}:day')
                        end
                        * ({profile}_to - {profile}_from)
                    )::bigint as target
            from (
                select
                    people.idx,
                    people.is_planted,
                    people.n_{kind},
                    event_offsets.off_{kind},
                    people.{profile}_from,
                    people.{profile}_to,
                    unnest(range(people.n_{kind})) as j
                from people
                inner join event_offsets on event_offsets.idx = people.idx
                where people.n_{kind} > 0
            )
        ),
        events as (
            select
                expanded.idx,
                expanded.j,
                expanded.seq,
                days.day,
                days.day + to_seconds((
                    {sql_list(hours)}[1 + floor(u01(expanded.idx, expanded.j, '{kind}:hour')
                        * {len(hours)})::int] * 3600
                    + floor(u01(expanded.idx, expanded.j, '{kind}:second') * 3600)
                )::bigint) as ts
            from expanded
            asof join (select day, {profile}_start as cum_start from calendar) as days
                on expanded.target >= days.cum_start
        )
    """


def build_products(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """The catalogue: product i belongs to category i % 12."""
    names = sql_list([c[0] for c in CATEGORIES])
    prices = sql_list([c[1] for c in CATEGORIES])
    nouns = "[" + ", ".join(sql_list(c[3]) for c in CATEGORIES) + "]"
    variant = pick(("", "", " Mini", " XL", " Pro", " 2.0", " Set"), "u01(range, 0, 'p:variant')")
    con.execute(f"""
        create or replace table products as
        select
            range as product_index,
            product_code(range) as product_id,
            {pick(ADJECTIVES, "u01(range, 0, 'p:adjective')")} || ' '
                || {nouns}[range % 12 + 1][
                    1 + floor(u01(range, 0, 'p:noun') * len({nouns}[range % 12 + 1]))::int]
                || {variant} as product_name,
            {names}[range % 12 + 1] as category,
            greatest(
                0.99,
                round({prices}[range % 12 + 1] * exp(0.45 * z01(range, 0, 'p:price'))) - 0.01
            )::decimal(12, 2) as list_price
        from range({settings.products})
    """)
    con.execute("""
        create or replace table clean_shop__products as
        select
            product_id,
            product_name,
            category,
            list_price::varchar as list_price,
            'EUR' as currency,
            product_index as _k,
            list_price as _price
        from products
    """)


def build_sales_reps(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """About one rep per 500 customers; the last rep and a few others are inactive."""
    reps = settings.sales_reps
    con.execute(f"""
        create or replace table clean_crm__sales_reps as
        with reps as (
            select
                range as rep,
                {pick(FIRST_NAMES, "u01(range, 0, 'rep:first')")} as first_name,
                {pick(LAST_NAMES, "u01(range, 0, 'rep:last')")} as last_name,
                5 + floor(u01(range, 0, 'rep:capacity') * 56)::int as capacity
            from range(1, {reps + 1})
        )
        select
            'R' || lpad(rep::varchar, 5, '0') as sales_rep_id,
            first_name || ' ' || last_name as full_name,
            lower(first_name) || '.' || lower(last_name) || rep::varchar || '@sales.example.com'
                as email,
            floor(26 * pow(u01(rep, 0, 'rep:experience'), 1.3))::int::varchar
                as experience_years,
            capacity::varchar as capacity_accounts,
            {pick(REGIONS, "u01(rep, 0, 'rep:region')")} as region,
            case
                when rep = {reps} or u01(rep, 0, 'rep:inactive') < 0.06 then 'false'
                else 'true'
            end as is_active,
            rep as _k,
            capacity as _capacity
        from reps
    """)


def build_customers(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """CRM customer records, with phone, country and postcode as people type them."""
    end = f"date '{settings.end_date}'"
    crm_hours = sql_list(HOURS["crm"])
    uk_areas = ("SW1A", "EC1A", "M1", "B33", "LS1", "G2", "CF10", "BS8")
    letters = sql_list(list("ABDEFGHJLNPQRSTUWXYZ"))
    con.execute(f"""
        create or replace table clean_crm__customers as
        with base as (
            select
                *,
                created_day + to_seconds((
                    {crm_hours}[1 + floor(u01(idx, 0, 'created_hour') * {len(HOURS["crm"])})::int]
                        * 3600 + floor(u01(idx, 0, 'created_second') * 3600)
                )::bigint) as created_ts,
                u01(idx, 0, 'phone_form') as u_phone,
                u01(idx, 0, 'postcode') as u_postcode
            from people
            where in_crm
        ),
        stamped as (
            select
                *,
                created_ts + to_seconds(floor(
                    pow(u01(idx, 0, 'updated'), 2)
                        * greatest({end} - 2 - created_day, 0) * 86400
                )::bigint) as updated_ts
            from base
        )
        select
            customer_id,
            first_name,
            last_name,
            case when has_email then email end as email,
            case
                when not has_phone then null
                when u_phone < 0.5
                    then '+' || calling_code || ' ' || mobile_prefix || ' ' || phone_number
                when u_phone < 0.8
                    then '+' || calling_code || '-' || mobile_prefix || '-' || phone_number
                else '+' || calling_code || ' (' || mobile_prefix || ') ' || phone_number
            end as phone,
            case
                when u01(idx, 0, 'has_birth_date') < 0.85
                    then strftime(
                        {end} - (6570 + floor(u01(idx, 0, 'birth_date') * 22630))::int,
                        '%Y-%m-%d'
                    )
            end as birth_date,
            case
                when u01(idx, 0, 'country_form') < 0.7 then country_name else country_iso
            end as country,
            case postcode_form
                when 'd5' then lpad((1 + floor(u_postcode * 99998))::int::varchar, 5, '0')
                when 'd4' then (1000 + floor(u_postcode * 8990))::int::varchar
                when 'nl' then (1000 + floor(u_postcode * 8999))::int::varchar || ' '
                    || {pick(list("ABCDEFGHJKLMNPRSTVWXZ"), "u01(idx, 0, 'nl1')")}
                    || {pick(list("ABCDEFGHJKLMNPRSTVWXZ"), "u01(idx, 0, 'nl2')")}
                else {pick(uk_areas, "u_postcode")} || ' '
                    || floor(u01(idx, 0, 'uk_digit') * 10)::int::varchar
                    || {letters}[1 + floor(u01(idx, 0, 'uk1') * 20)::int]
                    || {letters}[1 + floor(u01(idx, 0, 'uk2') * 20)::int]
            end as postcode,
            case when has_account then account_id end as shop_account_id,
            case
                when handle_known then
                    case when u01(idx, 0, 'crm_handle_at') < 0.5 then '@' else '' end
                    || case
                        when u01(idx, 0, 'crm_handle_case') < 0.5 then handle else lower(handle)
                    end
            end as social_handle,
            iso_ts(created_ts, u01(idx, 0, 'created_form')) as created_at,
            iso_ts(updated_ts, u01(idx, 0, 'updated_form')) as updated_at,
            idx as _k,
            idx as _idx,
            is_planted as _protected,
            updated_ts as _updated_ts,
            email_odd as _email_proper,
            changed_email as _email_changed,
            '+' || calling_code || ' ' || mobile_prefix || ' ' || changed_phone_number
                as _phone_changed
        from stamped
    """)


def build_interactions(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """CRM contacts: calls, e-mails, chats and visits, on business days mostly."""
    channel = weighted_case(
        "u_channel", ["'email'", "'call'", "'chat'", "'visit'"], [0.38, 0.30, 0.22, 0.10]
    )
    con.execute(f"""
        create or replace table clean_crm__interactions as
        with {expand_events("interactions", "crm")},
        drawn as (
            select
                events.*,
                people.customer_id,
                people.rep_index,
                people.is_planted,
                u01(events.idx, events.j, 'int:channel') as u_channel,
                u01(events.idx, events.j, 'int:direction') as u_direction,
                u01(events.idx, events.j, 'int:rep') as u_rep
            from events
            inner join people on people.idx = events.idx
        ),
        typed as (
            select
                *,
                {channel} as channel,
                case when u_direction < 0.55 then 'inbound' else 'outbound' end as direction
            from drawn
        )
        select
            'I' || lpad(seq::varchar, 10, '0') as interaction_id,
            customer_id,
            channel,
            direction,
            iso_ts(ts, u01(idx, j, 'int:form')) as occurred_at,
            case
                when u_rep < case
                    when direction = 'outbound' then 0.85
                    when channel in ('call', 'visit') then 0.5
                    else 0.15
                end
                    then 'R' || lpad((case
                        when u01(idx, j, 'int:own_rep') < 0.85 then rep_index
                        else 1 + floor(u01(idx, j, 'int:any_rep') * {settings.sales_reps})::int
                    end)::varchar, 5, '0')
            end as sales_rep_id,
            seq as _k,
            idx as _idx,
            ts as _ts,
            is_planted as _protected
        from typed
    """)


def build_orders(con: duckdb.DuckDBPyConnection) -> None:
    """Orders and their lines; an order's total is the sum of its lines."""
    status = weighted_case(
        "u_status", ["'completed'", "'cancelled'", "'returned'"], [0.88, 0.07, 0.05]
    )
    lines = weighted_case("u_lines", ["1", "2", "3", "4"], [0.45, 0.30, 0.15, 0.10])
    quantity = weighted_case(
        "u01(seq, j, 'line:quantity')", ["1", "2", "3", "4", "6"], [0.70, 0.18, 0.07, 0.03, 0.02]
    )
    units = " ".join(f"when '{code}' then {rate}" for code, rate in UNITS_PER_EUR.items())
    con.execute(f"""
        create or replace table order_heads as
        with {expand_events("orders", "shop")},
        drawn as (
            select
                events.seq,
                events.idx,
                events.ts,
                people.is_planted,
                people.fav_cat,
                people.second_cat,
                people.currency,
                people.has_account and u01(events.idx, events.j, 'ord:guest') >= 0.08
                    as is_account_order,
                people.account_id,
                people.shop_email,
                people.shop_email_odd,
                u01(events.idx, events.j, 'ord:status') as u_status,
                u01(events.idx, events.j, 'ord:lines') as u_lines,
                u01(events.idx, events.j, 'ord:email') as u_email,
                u01(events.idx, events.j, 'ord:total') as u_total,
                u01(events.idx, events.j, 'ord:form') as u_form
            from events
            inner join people on people.idx = events.idx
        )
        select
            seq,
            idx,
            ts,
            is_planted,
            fav_cat,
            second_cat,
            currency,
            u_total,
            u_form,
            (10000000 + seq)::varchar as order_id,
            case when is_account_order then account_id end as shop_account_id,
            case
                when is_account_order then case when u_email < 0.9 then shop_email end
                when u_email < 0.5 then shop_email
                when u_email < 0.65 then upper(shop_email)
                when u_email < 0.85 then shop_email_odd
                else ' ' || shop_email || ' '
            end as customer_email,
            {status} as status,
            {lines} as n_lines
        from drawn
    """)
    con.execute(f"""
        create or replace table clean_shop__order_lines as
        with lines as (
            select
                seq, order_id, fav_cat, second_cat, currency, is_planted,
                unnest(range(n_lines)) as j
            from order_heads
        ),
        chosen as (
            select
                *,
                product_index(
                    choose_category(
                        fav_cat, second_cat, u01(seq, j, 'line:pick'), u01(seq, j, 'line:any')
                    ),
                    u01(seq, j, 'line:rank')
                ) as product_index,
                {quantity} as quantity,
                case when u01(seq, j, 'line:discount') < 0.1 then 0.85 else 1.0 end as discount
            from lines
        ),
        priced as (
            select
                chosen.*,
                products.product_id,
                round(
                    products.list_price * (case chosen.currency {units} end) * chosen.discount, 2
                )::decimal(12, 2) as unit_price
            from chosen
            inner join products on products.product_index = chosen.product_index
        )
        select
            order_id,
            (j + 1)::varchar as line_number,
            product_id,
            quantity::varchar as quantity,
            unit_price::varchar as unit_price,
            seq * 8 + j as _k,
            seq as _order_seq,
            quantity as _quantity,
            unit_price as _unit_price,
            is_planted as _protected
        from priced
    """)
    con.execute("""
        create or replace table clean_shop__orders as
        with totals as (
            select _order_seq as seq, sum(_quantity * _unit_price) as total
            from clean_shop__order_lines
            group by _order_seq
        )
        select
            heads.order_id,
            heads.shop_account_id,
            heads.customer_email,
            heads.status,
            iso_ts(heads.ts, heads.u_form) as ordered_at,
            heads.currency,
            case
                when heads.u_total < 0.05 then null
                else totals.total::decimal(18, 2)::varchar
            end as order_total,
            heads.seq as _k,
            heads.idx as _idx,
            heads.ts as _ts,
            heads.is_planted as _protected,
            heads.status as _status
        from order_heads as heads
        inner join totals on totals.seq = heads.seq
    """)


def build_views(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Product page views: logged in or anonymous, grouped in daily sessions."""
    con.execute(f"""
        create or replace table clean_shop__product_views as
        with {expand_events("views", "shop")}
        select
            'V' || lpad(events.seq::varchar, 10, '0') as view_id,
            case
                when people.has_account and u01(events.idx, events.j, 'view:login') < 0.75
                    then people.account_id
            end as shop_account_id,
            format('{{:016x}}', hash({settings.seed}, events.idx, events.day, 'session'))
                as session_id,
            product_code(product_index(
                choose_category(
                    people.fav_cat,
                    people.second_cat,
                    u01(events.idx, events.j, 'view:pick'),
                    u01(events.idx, events.j, 'view:any')
                ),
                u01(events.idx, events.j, 'view:rank')
            )) as product_id,
            iso_ts(events.ts, u01(events.idx, events.j, 'view:form')) as viewed_at,
            events.seq as _k,
            events.idx as _idx,
            events.ts as _ts,
            people.is_planted as _protected
        from events
        inner join people on people.idx = events.idx
    """)


def build_engagements(con: duckdb.DuckDBPyConnection) -> None:
    """Likes, comments, shares and mentions under the person's social handle."""
    engagement = weighted_case(
        "u01(events.idx, events.j, 'eng:type')",
        ["'like'", "'comment'", "'share'", "'mention'"],
        [0.55, 0.20, 0.13, 0.12],
    )
    con.execute(f"""
        create or replace table clean_social__engagements as
        with {expand_events("engagements", "social")}
        select
            'E' || lpad(events.seq::varchar, 10, '0') as engagement_id,
            case
                when u01(events.idx, events.j, 'eng:platform') < 0.7 then people.favourite_platform
                else {pick(PLATFORMS, "u01(events.idx, events.j, 'eng:any_platform')")}
            end as platform,
            case when u01(events.idx, events.j, 'eng:at') < 0.6 then '@' else '' end
                || case
                    when u01(events.idx, events.j, 'eng:case') < 0.7 then lower(people.handle)
                    else people.handle
                end as social_handle,
            {engagement} as engagement_type,
            iso_ts(events.ts, u01(events.idx, events.j, 'eng:form')) as occurred_at,
            events.seq as _k,
            events.idx as _idx,
            events.ts as _ts,
            people.is_planted as _protected
        from events
        inner join people on people.idx = events.idx
    """)


def build_feedback(con: duckdb.DuckDBPyConnection) -> None:
    """Reviews, ratings and surveys keyed by customer id, e-mail or phone."""
    feedback_type = weighted_case(
        "u01(idx, j, 'fb:type')", ["'review'", "'rating'", "'survey'"], [0.45, 0.35, 0.20]
    )
    reviews = "[" + ", ".join(sql_list(REVIEW_TEXT[r]) for r in sorted(REVIEW_TEXT)) + "]"
    con.execute(f"""
        create or replace table clean_feedback__responses as
        with {expand_events("feedback", "shop")},
        drawn as (
            select
                events.*,
                people.in_crm,
                people.customer_id,
                people.shop_email,
                people.has_phone,
                people.fav_cat,
                people.second_cat,
                people.is_planted,
                case
                    when not people.has_phone then null
                    when u01(events.idx, events.j, 'fb:phone_form') < 0.5
                        then '00' || people.calling_code || ' ' || people.mobile_prefix
                            || people.phone_number
                    when u01(events.idx, events.j, 'fb:phone_form') < 0.8
                        then '+' || people.calling_code || people.mobile_prefix
                            || people.phone_number
                    else '00' || people.calling_code || '-' || people.mobile_prefix || '-'
                        || left(people.phone_number, 4) || '-' || right(people.phone_number, 4)
                end as feedback_phone,
                least(5, greatest(1, round(
                    3.7 + 0.5 * (ln(people.activity) + 0.78)
                        + 0.9 * z01(events.idx, events.j, 'fb:rating')
                )))::int as rating_value,
                u01(events.idx, events.j, 'fb:key') as u_key
            from events
            inner join people on people.idx = events.idx
        ),
        keyed as (
            select
                *,
                case
                    when in_crm and u_key < 0.5 then 'customer_id'
                    when u_key < 0.8 then 'email'
                    when has_phone then 'phone'
                    when in_crm then 'customer_id'
                    else 'email'
                end as key_kind,
                {feedback_type} as feedback_type
            from drawn
        )
        select
            'F' || lpad(seq::varchar, 10, '0') as feedback_id,
            case when key_kind = 'customer_id' then customer_id end as customer_id,
            case
                when key_kind = 'email'
                    or (key_kind = 'customer_id' and u01(idx, j, 'fb:with_email') < 0.4)
                    then shop_email
            end as email,
            case when key_kind = 'phone' then feedback_phone end as phone,
            feedback_type,
            case
                when feedback_type <> 'survey' then product_code(product_index(
                    choose_category(
                        fav_cat, second_cat, u01(idx, j, 'fb:pick'), u01(idx, j, 'fb:any')
                    ),
                    u01(idx, j, 'fb:rank')
                ))
            end as product_id,
            case
                when feedback_type = 'survey' and u01(idx, j, 'fb:no_rating') < 0.2 then null
                else rating_value::varchar
            end as rating,
            case feedback_type
                when 'review' then
                    {reviews}[rating_value][1 + floor(u01(idx, j, 'fb:sentence1') * 3)::int]
                    || ' '
                    || {reviews}[rating_value][1 + (
                        floor(u01(idx, j, 'fb:sentence1') * 3)::int
                            + 1 + floor(u01(idx, j, 'fb:sentence2') * 2)::int
                    ) % 3]
                when 'survey' then case
                    when u01(idx, j, 'fb:answered') < 0.6
                        then {pick(SURVEY_TEXT, "u01(idx, j, 'fb:answer')")}
                end
            end as body,
            iso_ts(ts, u01(idx, j, 'fb:form')) as submitted_at,
            seq as _k,
            idx as _idx,
            ts as _ts,
            is_planted as _protected,
            rating_value as _rating
        from keyed
    """)


def row_draws(table: str, end_date: date) -> dict[str, str]:
    """SQL of the per-row draws that dirt expressions refer to by name.

    They are written into the expressions in place of their names, so they are
    only computed for the rows that take that branch.
    """
    return {
        "_c": f"u01(_k, 0, 'dirt-column:{table}')",
        "_v": f"u01(_k, 0, 'dirt-value:{table}')",
        "_w": f"u01(_k, 0, 'dirt-form:{table}')",
        "_future_ts": (
            f"(timestamp '{end_date}'"
            f" + to_days(366 + floor(u01(_k, 0, 'future:{table}') * 3000)::int)"
            f" + to_seconds(floor(u01(_k, 0, 'future-time:{table}') * 86400)::bigint))"
        ),
        "_ancient_ts": (
            "(timestamp '1900-01-01'"
            f" + to_seconds(floor(u01(_k, 0, 'ancient:{table}') * 364 * 86400)::bigint))"
        ),
    }


def with_draws(expression: str, draws: dict[str, str]) -> str:
    """Replace the names of row draws in a SQL expression by their SQL."""
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in draws) + r")\b")
    return pattern.sub(lambda match: draws[match.group(1)], expression)


def dirty_and_write(
    con: duckdb.DuckDBPyConnection, table: str, plan: TableDirt, settings: Settings, out: Path
) -> tuple[int, dict[str, int]]:
    """Dirty clean_<table>, write it as the contract's Parquet file.

    Returns the rows written and how many rows got each kind of dirt. Each
    row gets at most one kind of cell dirt, drawn from its own hash, so the
    kinds never overlap. When the table is large enough one row per kind is
    forced, so that even tiny data sets hold every kind; an exact duplicate
    is always forced.
    """
    columns = source_tables()[table]
    draws = row_draws(table, settings.end_date)
    (n_rows,) = con.execute(f"select count(*) from clean_{table}").fetchone()
    kinds = plan.cells
    force_all = n_rows >= max(100, 6 * (len(kinds) + 2))
    key_slot = len(kinds) + 1 if force_all else -1
    exact_slot = len(kinds) + 2 if force_all else 1
    # Candidates in hash order; each forced kind takes the first eligible one.
    flags = ", ".join(f"coalesce({with_draws(dirt.when, draws)}, false)" for dirt in kinds)
    candidates = con.execute(f"""
        select _k, [{flags}] from clean_{table}
        order by hash({settings.seed}, _k, 'force:{table}'), _k
        limit {40 * exact_slot}
    """).fetchall()
    slots: dict[int, int] = {}
    for position in range(1, exact_slot + 1):
        for key, eligible in candidates:
            if key not in slots and (position > len(kinds) or eligible[position - 1]):
                slots[key] = position
                break
    slot = "null::int"
    if slots:
        slot = "case _k " + " ".join(f"when {k} then {p}" for k, p in slots.items()) + " end"

    whens, cumulative = [], 0.0
    for position, dirt in enumerate(kinds, start=1):
        condition = with_draws(dirt.when, draws)
        if force_all:
            whens.append(f"when _slot = {position} and ({condition}) then '{dirt.kind}'")
        low, cumulative = cumulative, cumulative + dirt.share
        whens.append(
            f"when _slot is null and _d >= {low:.6f} and _d < {cumulative:.6f}"
            f" and ({condition}) then '{dirt.kind}'"
        )
    replaced: dict[str, list[str]] = {}
    for dirt in kinds:
        for column, expression in dirt.changes.items():
            replaced.setdefault(column, []).append(
                f"when _dirt = '{dirt.kind}' then {with_draws(expression, draws)}"
            )
    replacements = ", ".join(
        f"case {' '.join(branches)} else {column} end as {column}"
        for column, branches in replaced.items()
    )
    key_duplicate = (
        f"{plan.key} is not null and _dirt is distinct from 'empty_primary_keys' and ("
        f"(_slot is null and u01(_k, 0, 'key-duplicate:{table}') < {plan.key_duplicate_share})"
        f" or _slot = {key_slot})"
    )
    exact_duplicate = (
        f"(_slot is null and u01(_k, 0, 'exact-duplicate:{table}') < "
        f"{plan.exact_duplicate_share}) or _slot = {exact_slot}"
    )
    con.execute(f"""
        create or replace table dirty_{table} as
        with drawn as (
            select *, {slot} as _slot, u01(_k, 0, 'dirt:{table}') as _d
            from clean_{table}
        ),
        marked as (
            select *, case {" ".join(whens)} end as _dirt from drawn
        )
        select
            * replace ({replacements}),
            {key_duplicate} as _is_key_duplicated,
            {exact_duplicate} as _is_exact_duplicated
        from marked
    """)
    con.execute(f"drop table clean_{table}")

    counts = dict(
        con.execute(f"""
            select _dirt, count(*) from dirty_{table} where _dirt is not null group by _dirt
        """).fetchall()
    )
    counts["key_duplicates"], counts["exact_duplicates"] = con.execute(f"""
        select count(*) filter (where _is_key_duplicated),
            count(*) filter (where _is_exact_duplicated)
        from dirty_{table}
    """).fetchone()

    plain = ", ".join(f"cast({column} as varchar) as {column}" for column in columns)
    changed = ", ".join(
        f"cast({with_draws(plan.key_duplicate[column], draws)} as varchar) as {column}"
        if column in plan.key_duplicate
        else f"cast({column} as varchar) as {column}"
        for column in columns
    )
    path = out / file_name(table)
    con.execute(f"""
        copy (
            select {", ".join(columns)}
            from (
                select {plain}, _k, 0 as _copy from dirty_{table}
                union all
                select {changed}, _k, 1 as _copy from dirty_{table} where _is_key_duplicated
                union all
                select {plain}, _k, 2 as _copy from dirty_{table} where _is_exact_duplicated
            )
            order by _k, _copy
        ) to '{path}' (format parquet, compression zstd)
    """)
    con.execute(f"drop table dirty_{table}")
    rows = n_rows + counts["key_duplicates"] + counts["exact_duplicates"]
    return rows, {kind: counts[kind] for kind in sorted(counts)}


def collect_facts(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, Any]:
    """Counts of the realistic (not dirty) variety, from the clean tables."""
    last_year = f"timestamp '{settings.end_date}' + interval 1 day - interval 365 day"
    activity = " union all ".join(f"select _idx, _ts from clean_{table}" for table in EVENT_TABLES)
    facts = con.execute(f"""
        with activity as ({activity}),
        last_seen as (select _idx, max(_ts) as last_ts from activity group by _idx)
        select
            (select count(*) from people where not in_crm) as people_unknown_to_crm,
            (select count(*) from people where in_crm and not has_email)
                as crm_customers_without_email,
            (select count(*) from people where in_crm and not has_account)
                as crm_customers_without_shop_account,
            (select count(*) from people where in_crm and handle_known)
                as crm_customers_with_social_handle,
            (select round(avg(case when last_ts is null or last_ts < {last_year}
                              then 1.0 else 0.0 end), 4)
                from people left join last_seen on last_seen._idx = people.idx
                where people.in_crm) as crm_share_without_activity_last_365_days,
            (select count(*) from clean_shop__orders where shop_account_id is null)
                as guest_orders,
            (select count(*) from clean_shop__orders as o
                inner join people as p on p.idx = o._idx
                where not p.in_crm or (o.shop_account_id is null and not p.has_email)
                    or (o.shop_account_id is not null and not p.has_account))
                as orders_unmatchable_to_crm,
            (select count(*) from clean_shop__orders where order_total is null)
                as orders_without_total,
            (select count(*) from clean_shop__product_views where shop_account_id is null)
                as anonymous_views,
            (select count(*) from clean_social__engagements as e
                inner join people as p on p.idx = e._idx
                where not p.handle_known) as engagements_by_unknown_handles,
            (select count(*) from clean_feedback__responses where customer_id is not null)
                as feedback_keyed_by_customer_id,
            (select count(*) from clean_feedback__responses
                where customer_id is null and email is not null) as feedback_keyed_by_email,
            (select count(*) from clean_feedback__responses
                where customer_id is null and phone is not null) as feedback_keyed_by_phone
    """)
    names = [column[0] for column in facts.description]
    return dict(zip(names, facts.fetchone(), strict=True))


def generate(
    out: Path,
    settings: Settings,
    memory_limit: str = "2GB",
    threads: int | None = None,
) -> dict[str, Any]:
    """Generate every raw table into `out` and write the manifest; return it."""
    if settings.days < MIN_DAYS:
        raise ValueError(f"--days must be at least {MIN_DAYS}, got {settings.days}")
    if settings.customers < 10:
        raise ValueError(f"--customers must be at least 10, got {settings.customers}")
    if settings.end_date > datetime.now(UTC).date():
        raise ValueError(
            f"--end-date {settings.end_date} is in the future: its events would be"
            " quarantined as future-dated; pick yesterday or earlier"
        )
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".generate_data_tmp"
    config: dict[str, str | int | bool] = {
        "memory_limit": memory_limit,
        "temp_directory": str(work),
        "preserve_insertion_order": True,
    }
    if threads:
        config["threads"] = threads
    started = time.monotonic()
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute("set TimeZone = 'UTC'")
        create_macros(con, settings)
        build_calendar(con, settings)
        build_people(con, settings)
        build_products(con, settings)
        build_sales_reps(con, settings)
        build_customers(con, settings)
        build_interactions(con, settings)
        build_orders(con)
        build_views(con, settings)
        build_engagements(con)
        build_feedback(con)
        logger.info("clean tables built in %.1f s", time.monotonic() - started)
        facts = collect_facts(con, settings)
        planted = [
            row[0]
            for row in con.execute(
                "select customer_id from people where is_planted order by customer_id"
            ).fetchall()
        ]
        con.execute("drop table order_heads")
        rows: dict[str, int] = {}
        dirt: dict[str, dict[str, int]] = {}
        plans = dirt_plans()
        for table in source_tables():
            rows[table], dirt[table] = dirty_and_write(con, table, plans[table], settings, out)
            logger.info(
                "%s: %d rows written, %d with dirt", table, rows[table], sum(dirt[table].values())
            )
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    facts["event_rows"] = sum(rows[table] for table in EVENT_TABLES)
    manifest: dict[str, Any] = {
        "generator": "scripts/generate_data.py",
        "arguments": settings.as_dict(),
        "rows": rows,
        "dirt": dirt,
        "dirty_row_share": {
            table: round(sum(dirt[table].values()) / rows[table], 4) if rows[table] else 0.0
            for table in rows
        },
        "facts": facts,
        "planted_drop_days": DROP_DAYS,
        "planted_drop_last_active_date": (
            settings.end_date - timedelta(days=DROP_DAYS + 1)
        ).isoformat(),
        "planted_drop_customer_ids": planted,
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n")
    logger.info("generated %s in %.1f s", out, time.monotonic() - started)
    return manifest


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data/demo"), help="output folder")
    parser.add_argument(
        "--size",
        choices=sorted(SIZES, key=SIZES.get),
        default="demo",
        help="preset number of customers (tiny 200 ... 100m 10,000,000); default demo",
    )
    parser.add_argument("--customers", type=int, help="number of CRM customers (overrides --size)")
    parser.add_argument("--seed", type=int, default=42, help="seed of every draw (default 42)")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=None,
        help="last day of the generated period, YYYY-MM-DD (default: yesterday, UTC,"
        " so that no generated event lies in the future)",
    )
    parser.add_argument("--days", type=int, default=730, help="length of the period in days")
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Generate the data set described by the command line and print row counts."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    customers = args.customers if args.customers is not None else SIZES[args.size]
    settings = Settings(
        customers=customers,
        seed=args.seed,
        end_date=args.end_date or datetime.now(UTC).date() - timedelta(days=1),
        days=args.days,
        size=None if args.customers is not None else args.size,
    )
    try:
        manifest = generate(args.out, settings, args.memory_limit, args.threads)
    except ValueError as error:
        raise SystemExit(f"generate_data.py: error: {error}") from None
    for table, count in manifest["rows"].items():
        print(f"{table:<24} {count:>12,} rows")
    print(f"{'all event tables':<24} {manifest['facts']['event_rows']:>12,} rows")


if __name__ == "__main__":
    main()
