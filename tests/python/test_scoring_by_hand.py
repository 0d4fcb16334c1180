"""Scores of a tiny hand-made data set, checked against arithmetic done by hand.

Three customers, orders only, scored on 2026-01-31 with the shipped
"balanced" profile. Only the four order metrics vary, so their seed shares
(0.20, 0.20, 0.05, 0.15 of 1.0) are scaled up to 1/3, 1/3, 1/12 and 1/4,
and everything else carries no weight.
"""

from __future__ import annotations

import math

import pytest

from conftest import Build, run_dbt, write_raw

CUSTOMERS = [
    {"customer_id": "00001", "email": " Ann@Example.COM ", "postcode": "01007"},
    {"customer_id": "00002", "email": "bob@example.com", "postcode": "null"},
    {"customer_id": "00003", "email": "   ", "postcode": "  "},
]
ORDERS = [
    # A: one order of 50.00, ten days before the as-of date.
    {
        "order_id": "o1",
        "shop_account_id": None,
        "customer_email": "ann@example.com",
        "status": "completed",
        "ordered_at": "2026-01-21 10:00:00",
        "currency": "EUR",
        "order_total": "50.00",
    },
    # B: 10.00 then 30.00, the second on the as-of date itself (with an offset).
    {
        "order_id": "o2",
        "shop_account_id": None,
        "customer_email": "BOB@example.com ",
        "status": "completed",
        "ordered_at": "2025-12-22 10:00:00",
        "currency": "EUR",
        "order_total": "10.00",
    },
    {
        "order_id": "o3",
        "shop_account_id": None,
        "customer_email": "bob@example.com",
        "status": "completed",
        "ordered_at": "2026-01-31T23:30:00+01:00",
        "currency": "EUR",
        "order_total": "30.00",
    },
    # A cancelled order counts for nothing.
    {
        "order_id": "o4",
        "shop_account_id": None,
        "customer_email": "bob@example.com",
        "status": "cancelled",
        "ordered_at": "2026-01-30 10:00:00",
        "currency": "EUR",
        "order_total": "999.00",
    },
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    folder = tmp_path_factory.mktemp("by_hand")
    raw = write_raw(folder / "raw", {"crm__customers": CUSTOMERS, "shop__orders": ORDERS})
    result = run_dbt(raw, folder / "cbs.duckdb", dbt_vars={"cbs_as_of_date": "2026-01-31"})
    assert result.ok, result.output[-5000:]
    return result


def expected_scores() -> dict[str, float]:
    """The balanced profile's scores, worked out step by step."""
    frequency = {"00001": 0.5, "00002": 1.0, "00003": 0.0}  # percent ranks of 1, 2, 0
    # Spend 50, 40, 0: the cap is the 99th percentile, 40 + 0.98 * 10 = 49.8.
    cap = 49.8
    spend = {
        "00001": math.log1p(min(50, cap)) / math.log1p(cap),
        "00002": math.log1p(40) / math.log1p(cap),
        "00003": 0.0,
    }
    # Average order 50 and 20 (the first order counts), none for C (-> 0).
    average_order = {"00001": 1.0, "00002": 0.0, "00003": 0.0}
    # Recency 10 and 0 days; lower is better; never bought -> 0.
    recency = {"00001": 0.0, "00002": 1.0, "00003": 0.0}
    return {
        customer: 100
        * (
            frequency[customer] / 3
            + spend[customer] / 3
            + average_order[customer] / 12
            + recency[customer] / 4
        )
        for customer in frequency
    }


def test_scores_match_the_hand_arithmetic(build: Build) -> None:
    rows = dict(
        build.query(
            "select customer_id, score from marts.customer_scores"
            " where scoring_profile = 'balanced'"
        )
    )
    expected = expected_scores()
    assert set(rows) == set(expected)
    for customer, score in expected.items():
        assert rows[customer] == pytest.approx(score, abs=1e-4), customer


def test_tiers_and_ranks_follow_the_scores(build: Build) -> None:
    rows = build.query(
        "select customer_id, tier, score_rank, top_metric from marts.customer_scores"
        " where scoring_profile = 'balanced' order by score_rank"
    )
    # 89.8 is high, 58.3 medium, 0 low; B's biggest part is frequency.
    assert rows == [
        ("00002", "high", 1, "purchase_frequency"),
        ("00001", "medium", 2, "total_spend"),
        ("00003", "low", 3, None),
    ]


def test_weights_in_force_are_shown_beside_the_score(build: Build) -> None:
    weights = build.query(
        "select purchase_frequency_weight, total_spend_weight, average_order_value_weight,"
        " recency_days_weight, product_views_weight from marts.customer_scores"
        " where scoring_profile = 'balanced' and customer_id = '00001'"
    )[0]
    assert weights == pytest.approx((1 / 3, 1 / 3, 1 / 12, 1 / 4, 0.0))


def test_monetary_value_counts_the_first_order(build: Build) -> None:
    values = dict(
        build.query(
            "select customer_id, average_order_value_value from marts.customer_scores"
            " where scoring_profile = 'balanced'"
        )
    )
    assert values == {"00001": 50.0, "00002": 20.0, "00003": None}


def test_identifiers_and_codes_keep_their_zeros(build: Build) -> None:
    ids = {row[0] for row in build.query("select customer_id from marts.customer_scores")}
    assert ids == {"00001", "00002", "00003"}
    postcodes = dict(build.query("select customer_id, postcode from staging.stg_crm__customers"))
    assert postcodes["00001"] == "01007"


def test_blank_and_null_words_become_missing_values(build: Build) -> None:
    rows = dict(build.query("select customer_id, email from staging.stg_crm__customers"))
    assert rows == {"00001": "ann@example.com", "00002": "bob@example.com", "00003": None}
    postcodes = dict(build.query("select customer_id, postcode from staging.stg_crm__customers"))
    assert postcodes["00002"] is None
    assert postcodes["00003"] is None


def test_orders_are_stitched_by_normalised_email(build: Build) -> None:
    rows = build.query(
        "select order_id, customer_id, match_method from intermediate.int_orders_stitched"
        " order by order_id"
    )
    assert rows == [
        ("o1", "00001", "email"),
        ("o2", "00002", "email"),
        ("o3", "00002", "email"),
        ("o4", "00002", "email"),
    ]
