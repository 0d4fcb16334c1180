"""The whole pipeline on small generated data: every planted fault is caught and counted."""

from __future__ import annotations

import json

import pytest

from conftest import Build

PRIMARY_KEYS = {
    "crm__customers": "customer_id",
    "crm__interactions": "interaction_id",
    "shop__orders": "order_id",
    "shop__order_lines": "order_id",
    "shop__products": "product_id",
    "shop__product_views": "view_id",
    "social__engagements": "engagement_id",
    "feedback__responses": "feedback_id",
}
EVENT_TIMES = {
    "crm__interactions": "occurred_at",
    "shop__orders": "ordered_at",
    "shop__product_views": "viewed_at",
    "social__engagements": "occurred_at",
    "feedback__responses": "submitted_at",
}


def manifest(build: Build) -> dict:
    return json.loads((build.database.parent / "data" / "_manifest.json").read_text())


def quarantined(build: Build, table: str, reason: str) -> int:
    source, name = table.split("__")
    return build.scalar(
        "select count(*) from marts.quarantined_rows"
        f" where source_name = '{source}' and table_name = '{name}'"
        f" and quarantine_reason = '{reason}'"
    )


@pytest.mark.parametrize("table", sorted(PRIMARY_KEYS))
def test_rows_with_an_empty_key_are_quarantined(generated_build: Build, table: str) -> None:
    planted = manifest(generated_build)["dirt"][table]["empty_primary_keys"]
    assert planted > 0
    assert quarantined(generated_build, table, f"missing {PRIMARY_KEYS[table]}") == planted


@pytest.mark.parametrize("table", sorted(EVENT_TIMES))
def test_bad_event_times_are_quarantined_by_kind(generated_build: Build, table: str) -> None:
    dirt = manifest(generated_build)["dirt"][table]
    column = EVENT_TIMES[table]
    assert (
        quarantined(generated_build, table, f"unparseable {column}") == dirt["invalid_timestamps"]
    )
    assert (
        quarantined(generated_build, table, f"{column} in the future") == dirt["future_timestamps"]
    )
    assert (
        quarantined(generated_build, table, f"{column} before 1990-01-01")
        == dirt["ancient_timestamps"]
    )


def test_bad_ratings_are_quarantined(generated_build: Build) -> None:
    dirt = manifest(generated_build)["dirt"]["feedback__responses"]
    table = "feedback__responses"
    assert (
        quarantined(generated_build, table, "rating is not a number") == dirt["non_numeric_ratings"]
    )
    assert (
        quarantined(generated_build, table, "rating outside 1 to 5") == dirt["out_of_range_ratings"]
    )


def test_every_raw_row_is_accounted_for(generated_build: Build) -> None:
    rows = manifest(generated_build)["rows"]
    counted = {
        f"{source}__{table}": (raw, kept + exact + key + held)
        for source, table, raw, kept, exact, key, held in generated_build.query(
            "select source_name, table_name, raw_rows, kept_rows, exact_duplicate_rows,"
            " key_duplicate_rows, quarantined_rows from marts.source_row_reconciliation"
        )
    }
    assert {table: raw for table, (raw, _) in counted.items()} == rows
    assert all(raw == accounted for raw, accounted in counted.values())


def test_every_crm_customer_is_scored_once_per_profile(generated_build: Build) -> None:
    customers = generated_build.scalar("select count(*) from staging.stg_crm__customers")
    per_profile = generated_build.query(
        "select scoring_profile, count(*), count(distinct customer_id), count(tier)"
        " from marts.customer_scores group by scoring_profile"
    )
    assert len(per_profile) == 3
    for _profile, rows, distinct, tiers in per_profile:
        assert rows == distinct == tiers == customers


def test_scores_are_finite_and_in_range(generated_build: Build) -> None:
    assert (
        generated_build.scalar(
            "select count(*) from marts.customer_scores"
            " where score is null or isnan(score) or score < 0 or score > 100"
        )
        == 0
    )


def test_guest_checkouts_are_stitched_by_email(generated_build: Build) -> None:
    by_email = generated_build.scalar(
        "select activity_rows from marts.identity_match_summary"
        " where table_name = 'orders' and match_method = 'email'"
    )
    assert by_email > 0
