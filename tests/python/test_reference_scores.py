"""The dbt scores against the two references the benchmark times.

``benchmarks/floor_scores.sql`` (one DuckDB query) and
``scripts/pandas_scores.py`` (pandas) implement the default profile's
scoring on their own, from the raw files: cleaning, duplicates, identity,
metrics, every normalisation method the profile uses (percent rank, min-max,
the capped log), the weight hand-over and the tiers. Agreement on every
customer of the generated data pins those rules end to end, beyond the
unit tests' hand-sized inputs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, Build


def reference_scores(build: Build, tmp_path: Path, script: list[str]) -> Path:
    """Run one reference on the build's raw files; return its Parquet output."""
    out = tmp_path / f"{Path(script[0]).stem}.parquet"
    subprocess.run(
        [
            sys.executable,
            *script,
            "--data-dir",
            str(build.database.parent / "data"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out


@pytest.mark.parametrize(
    "script",
    [
        pytest.param([str(ROOT / "scripts" / "benchmark.py"), "floor"], id="floor"),
        pytest.param([str(ROOT / "scripts" / "pandas_scores.py")], id="pandas"),
    ],
)
def test_default_scores_equal_the_reference(
    generated_build: Build, tmp_path: Path, script: list[str]
) -> None:
    reference = reference_scores(generated_build, tmp_path, script)
    connection = duckdb.connect()
    connection.execute(f"attach '{generated_build.database}' as built (read_only)")
    missing, extra, largest, tiers_off, customers = connection.execute(
        f"""
        select
            count(*) filter (where other.customer_id is null),
            count(*) filter (where ours.customer_id is null),
            max(abs(ours.score - other.score)),
            count(*) filter (where ours.tier is distinct from other.tier),
            count(*)
        from (
            select customer_id, score, tier
            from built.marts.customer_scores
            where is_default_profile
        ) as ours
        full outer join read_parquet('{reference}') as other
            on ours.customer_id = other.customer_id
        """
    ).fetchone()
    connection.close()
    assert customers > 100
    assert (missing, extra, tiers_off) == (0, 0, 0)
    assert largest <= 0.0001
