"""Staging rules on small hand-made raw tables: cleaning, duplicates, quarantine."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import Build, run_dbt, write_raw

CUSTOMERS = [
    {
        "customer_id": "00001",
        "last_name": "null\t",
        "email": "\tAnn@Example.com\n",
        "phone": "+44 20 7946 0958",
        "updated_at": "2026-01-01 10:00:00",
    },
    # The same customer twice with the same updated_at and other content:
    # exactly one row survives, chosen the same way on every run.
    {"customer_id": "00002", "email": "b1@example.com", "updated_at": "2026-01-01 10:00:00"},
    {"customer_id": "00002", "email": "b2@example.com", "updated_at": "2026-01-01 10:00:00"},
    {"customer_id": "17850.0", "updated_at": "2026-01-02T10:00:00+02:00"},
    {"customer_id": "\t"},
    {"customer_id": " NULL "},
    # A family sharing one e-mail: the e-mail belongs to nobody in particular.
    {"customer_id": "00005", "email": "family@example.com"},
    {"customer_id": "00006", "email": "Family@Example.com"},
    # Recorded in the CRM after the scoring date, but buying before it.
    {"customer_id": "00007", "shop_account_id": "late", "created_at": "2026-03-01 00:00:00"},
]
ORDERS = [
    {
        "order_id": "O1",
        "shop_account_id": "17850",
        "status": " Completed ",
        "ordered_at": "2026-01-05T12:00:00+02:00",
        "currency": "eur",
    },
    {
        "order_id": "O3",
        "customer_email": "family@example.com",
        "status": "completed",
        "ordered_at": "2026-01-06 12:00:00",
        "currency": "EUR",
        "order_total": "7",
    },
    # One order twice with the same time: the return must win over the sale.
    {
        "order_id": "O4",
        "shop_account_id": "late",
        "status": "completed",
        "ordered_at": "2026-01-07 12:00:00",
        "currency": "EUR",
        "order_total": "100",
    },
    {
        "order_id": "O4",
        "shop_account_id": "late",
        "status": "returned",
        "ordered_at": "2026-01-07 12:00:00",
        "currency": "EUR",
        "order_total": "100",
    },
    {
        "order_id": "O5",
        "shop_account_id": "late",
        "status": "completed",
        "ordered_at": "2026-01-08 12:00:00",
        "currency": "EUR",
        "order_total": "9999999999999999.99",
    },
    {
        "order_id": "O2",
        "customer_email": "nobody",
        "status": "completed",
        "ordered_at": "2026-01-05 12:00:00",
        "currency": "EUR",
        "order_total": "5",
    },
]
ORDER_LINES = [
    {
        "order_id": "O1",
        "line_number": "1",
        "product_id": "p1",
        "quantity": "1",
        "unit_price": "2.00",
    },
    {
        "order_id": "O1",
        "line_number": "2",
        "product_id": "p1",
        "quantity": "1",
        "unit_price": "2.00",
    },
    {
        "order_id": "O1",
        "line_number": "2",
        "product_id": "p2",
        "quantity": "1",
        "unit_price": "1.00",
    },
    {
        "order_id": "O1",
        "line_number": "3",
        "product_id": "post",
        "quantity": "1",
        "unit_price": "3.00",
    },
    {
        "order_id": "O1",
        "line_number": "4",
        "product_id": "p3",
        "quantity": "two",
        "unit_price": "3.00",
    },
    {
        "order_id": "O1",
        "line_number": "5",
        "product_id": "p4",
        "quantity": "100",
        "unit_price": "1000000000000",
    },
    {
        "order_id": "O9",
        "line_number": "1",
        "product_id": "p3",
        "quantity": "1",
        "unit_price": "3.00",
    },
]
FEEDBACK = [
    {
        "feedback_id": "F1",
        "phone": "0044-20-7946-0958",
        "feedback_type": "review",
        "rating": " 4 ",
        "submitted_at": "2026-01-03 10:00:00",
    },
    {
        "feedback_id": "F2",
        "email": "ann@example.com",
        "feedback_type": "rating",
        "rating": "three",
        "submitted_at": "2026-01-03 10:00:00",
    },
    {
        "feedback_id": "F3",
        "email": "ann@example.com",
        "feedback_type": "rating",
        "rating": "9",
        "submitted_at": "2026-01-03 10:00:00",
    },
    {
        "feedback_id": "F4",
        "email": "ann@example.com",
        "feedback_type": "rating",
        "rating": "5",
        "submitted_at": "yesterday",
    },
]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    folder = tmp_path_factory.mktemp("staging_rules")
    raw = write_raw(
        folder / "raw",
        {
            "crm__customers": CUSTOMERS,
            "shop__orders": ORDERS,
            "shop__order_lines": ORDER_LINES,
            "feedback__responses": FEEDBACK,
        },
    )
    result = run_dbt(raw, folder / "cbs.duckdb", dbt_vars={"cbs_as_of_date": "2026-01-31"})
    assert result.ok, result.output[-5000:]
    return result


def test_blank_keys_are_quarantined_and_text_is_trimmed_of_any_white_space(build: Build) -> None:
    customers = dict(build.query("select customer_id, last_name from staging.stg_crm__customers"))
    assert set(customers) == {"00001", "00002", "00005", "00006", "00007", "17850"}
    assert customers["00001"] is None
    reasons = build.query(
        "select quarantine_reason from marts.quarantined_rows where table_name = 'customers'"
    )
    assert reasons == [("missing customer_id",), ("missing customer_id",)]


def test_conflicting_rows_of_one_key_keep_one_the_same_way_every_time(build: Build) -> None:
    rows = build.query(
        "select email, row_status from staging.base_crm__customers"
        " where customer_id = '00002' order by email"
    )
    assert rows == [("b1@example.com", "kept"), ("b2@example.com", "key_duplicate")]


def test_offsets_become_utc(build: Build) -> None:
    ordered_at = build.scalar(
        "select ordered_at from staging.stg_shop__orders where order_id = 'O1'"
    )
    assert ordered_at == dt.datetime(2026, 1, 5, 10, 0)


def test_enums_are_normalised(build: Build) -> None:
    assert build.query(
        "select status, currency_code from staging.stg_shop__orders where order_id = 'O1'"
    ) == [("completed", "EUR")]


def test_order_lines_keep_every_distinct_line(build: Build) -> None:
    rows = build.query(
        "select line_number, product_id, row_status, quarantine_reason"
        " from staging.base_shop__order_lines order by order_id, line_number, product_id"
    )
    assert rows == [
        (1, "P1", "kept", None),
        (2, "P1", "exact_duplicate", None),
        (2, "P2", "kept", None),
        (3, "POST", "quarantined", "not merchandise: postage"),
        (4, "P3", "quarantined", "quantity is not a whole number"),
        (5, "P4", "quarantined", "unit_price above 1000000000"),
        (1, "P3", "quarantined", "order not found"),
    ]
    # The order total comes from its kept lines: 2.00 + 1.00.
    assert (
        build.scalar(
            "select order_amount from intermediate.int_orders_stitched where order_id = 'O1'"
        )
        == 3
    )


def test_orders_without_a_usable_customer_key_are_quarantined(build: Build) -> None:
    assert sorted(
        build.query(
            "select quarantine_reason from marts.quarantined_rows where table_name = 'orders'"
        )
    ) == [
        ("no customer key (no shop account, no valid e-mail)",),
        ("order_total above 1000000000",),
    ]


def test_ratings_that_are_not_numbers_or_out_of_range_are_quarantined(build: Build) -> None:
    reasons = dict(
        build.query(
            "select json_extract_string(raw_record, '$.feedback_id'), quarantine_reason"
            " from marts.quarantined_rows where table_name = 'responses'"
        )
    )
    assert reasons == {
        "F2": "rating is not a number",
        "F3": "rating outside 1 to 5",
        "F4": "unparseable submitted_at",
    }


def test_feedback_is_stitched_by_phone_in_any_format(build: Build) -> None:
    assert build.query(
        "select customer_id, match_method, rating from intermediate.int_feedback_stitched"
    ) == [("00001", "phone", 4.0)]


def test_nothing_is_lost(build: Build) -> None:
    rows = build.query(
        "select table_name, raw_rows, kept_rows + exact_duplicate_rows + key_duplicate_rows"
        " + quarantined_rows from marts.source_row_reconciliation"
    )
    for table, raw, accounted in rows:
        assert raw == accounted, table


def test_a_shared_email_matches_nobody_and_duplicates_nothing(build: Build) -> None:
    assert build.query(
        "select order_id, customer_id, match_method from intermediate.int_orders_stitched"
        " where order_id = 'O3'"
    ) == [("O3", None, "ambiguous")]
    assert build.query(
        "select customer_id, is_ambiguous, holder_count from intermediate.int_customer_keys"
        " where key_type = 'email' and key_value = 'family@example.com'"
    ) == [(None, True, 2)]


def test_a_return_wins_over_the_sale_it_undoes(build: Build) -> None:
    assert build.query(
        "select status, row_status from staging.base_shop__orders where order_id = 'O4'"
        " order by row_status"
    ) == [("returned", "kept"), ("completed", "key_duplicate")]


def test_absurd_amounts_are_quarantined_not_fatal(build: Build) -> None:
    reasons = {
        row[0]
        for row in build.query(
            "select quarantine_reason from marts.quarantined_rows"
            " where quarantine_reason like '%above%'"
        )
    }
    assert reasons == {"order_total above 1000000000", "unit_price above 1000000000"}


def test_a_customer_who_bought_before_their_crm_record_is_scored(build: Build) -> None:
    assert (
        build.scalar("select count(*) from marts.customer_scores where customer_id = '00007'") == 3
    )
