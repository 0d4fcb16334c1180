"""The whole pipeline on the two real public data sets in ../shared/data.

Skipped, with the reason, where that folder is absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED_DATA, Build, run_dbt

CDNOW = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
ONLINE_RETAIL = SHARED_DATA / "online_retail" / "online_retail_sample_first8000.csv"


def import_and_build(script: str, source: Path, folder: Path, currency: str) -> Build:
    """Run an importer, then the full dbt build with every test, on its output."""
    if not source.exists():
        pytest.skip(f"real data not found at {source}")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / script),
            "--source",
            str(source),
            "--out",
            str(folder / "raw"),
        ],
        check=True,
        capture_output=True,
    )
    build = run_dbt(folder / "raw", folder / "cbs.duckdb", dbt_vars={"cbs_base_currency": currency})
    assert build.ok, build.output[-5000:]
    return build


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Build:
    return import_and_build("import_cdnow.py", CDNOW, tmp_path_factory.mktemp("cdnow"), "USD")


@pytest.fixture(scope="module")
def online_retail(tmp_path_factory: pytest.TempPathFactory) -> Build:
    folder = tmp_path_factory.mktemp("online_retail")
    return import_and_build("import_online_retail.py", ONLINE_RETAIL, folder, "GBP")


def test_cdnow_scores_every_customer_once_per_profile(cdnow: Build) -> None:
    rows = cdnow.query(
        "select scoring_profile, count(*), count(distinct customer_id), min(score), max(score),"
        " count(tier) from marts.customer_scores group by scoring_profile"
    )
    assert {row[0] for row in rows} == {"balanced", "retention", "upsell"}
    for _profile, scores, customers, low, high, tiers in rows:
        assert scores == customers == tiers == 23_570
        assert 0 <= low <= high <= 100


def test_cdnow_ids_keep_their_zeros(cdnow: Build) -> None:
    assert (
        cdnow.scalar("select count(*) from marts.customer_scores where customer_id = '00001'") == 3
    )


def test_cdnow_exact_duplicate_lines_are_counted_not_lost(cdnow: Build) -> None:
    row = cdnow.query(
        "select raw_rows, kept_rows, exact_duplicate_rows, key_duplicate_rows, quarantined_rows"
        " from marts.source_row_reconciliation where table_name = 'orders'"
    )[0]
    assert row == (69_659, 69_404, 255, 0, 0)


def test_online_retail_scores_every_identified_customer(online_retail: Build) -> None:
    assert (
        online_retail.scalar("select count(distinct customer_id) from marts.customer_scores") == 277
    )
    assert (
        online_retail.scalar("select count(*) from marts.customer_scores where tier is null") == 0
    )


def test_online_retail_float_ids_are_normalised(online_retail: Build) -> None:
    ids = [row[0] for row in online_retail.query("select customer_id from marts.customer_scores")]
    assert "17850" in ids
    assert not [customer for customer in ids if customer.endswith(".0")]


def test_online_retail_every_unused_line_is_explained(online_retail: Build) -> None:
    raw, kept, duplicates, quarantined = online_retail.query(
        "select raw_rows, kept_rows, exact_duplicate_rows + key_duplicate_rows, quarantined_rows"
        " from marts.source_row_reconciliation where table_name = 'order_lines'"
    )[0]
    assert raw == 8_000
    assert kept + duplicates + quarantined == raw
    reasons = dict(
        online_retail.query(
            "select quarantine_reason, count(*) from marts.quarantined_rows"
            " where table_name = 'order_lines' group by all"
        )
    )
    assert sum(reasons.values()) == quarantined
    assert "not merchandise: postage" in reasons
    # Lines of invoices with no customer go with their order.
    assert reasons["order quarantined"] == online_retail.scalar(
        "select count(*) from marts.quarantined_rows where table_name = 'order_lines'"
        " and quarantine_reason = 'order quarantined'"
    )


def test_online_retail_spend_is_completed_orders_only(online_retail: Build) -> None:
    # The five days of data all fall in the window, so every completed order counts.
    scored_spend = online_retail.scalar(
        "select sum(total_spend_value) from marts.customer_scores where is_default_profile"
    )
    completed_spend = online_retail.scalar(
        "select sum(order_amount_base) from intermediate.int_orders_stitched"
        " where status = 'completed' and customer_id is not null"
    )
    cancelled = online_retail.scalar(
        "select count(*) from intermediate.int_orders_stitched where status = 'cancelled'"
    )
    assert cancelled > 0
    assert scored_spend == pytest.approx(float(completed_spend))
