"""Builds are repeatable: the same data gives the same marts, whatever the threads.

Also checks source freshness on freshly generated data.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, Build, generate, run_dbt

MARTS = [
    "customer_scores",
    "quarantined_rows",
    "source_row_reconciliation",
    "identity_match_summary",
]


def table_fingerprint(build: Build, table: str) -> tuple[int, str]:
    """Row count and an order-independent hash of every value of a mart."""
    return build.query(
        f"select count(*), coalesce(cast(sum(hash(t)) as varchar), '') from marts.{table} as t"
    )[0]


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, Build]:
    folder = tmp_path_factory.mktemp("repeatable")
    data = generate(folder / "data", size="tiny", seed=7)
    builds = []
    for threads in ("1", "4"):
        os.environ["CBS_THREADS"] = threads
        try:
            build = run_dbt(data, folder / f"threads_{threads}" / "cbs.duckdb")
        finally:
            del os.environ["CBS_THREADS"]
        assert build.ok, build.output[-3000:]
        builds.append(build)
    return builds[0], builds[1]


@pytest.mark.parametrize("table", MARTS)
def test_one_and_four_threads_give_identical_marts(
    two_builds: tuple[Build, Build], table: str
) -> None:
    single, parallel = two_builds
    assert table_fingerprint(single, table) == table_fingerprint(parallel, table)
    assert table_fingerprint(single, table)[0] > 0


def test_freshness_passes_on_freshly_generated_data(tmp_path: Path) -> None:
    # The generator ends yesterday by default, so every dated source is fresh.
    data = tmp_path / "data"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_data.py"),
            "--size",
            "tiny",
            "--out",
            str(data),
        ],
        check=True,
        capture_output=True,
    )
    result = run_dbt(data, tmp_path / "cbs.duckdb", args=["source", "freshness"])
    assert result.ok, result.output[-3000:]
    assert "ERROR STALE" not in result.output


def test_freshness_fails_on_stale_data(tmp_path: Path) -> None:
    data = generate(tmp_path / "data", size="tiny", end_date="2025-01-31")
    result = run_dbt(data, tmp_path / "cbs.duckdb", args=["source", "freshness"])
    assert not result.ok
    stale = set(re.findall(r"ERROR STALE freshness of (\S+)", result.output))
    assert stale == {
        "crm.customers",
        "crm.interactions",
        "feedback.responses",
        "shop.orders",
        "shop.product_views",
        "social.engagements",
    }
