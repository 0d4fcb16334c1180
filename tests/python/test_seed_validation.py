"""Bad weight or tier seeds stop the build with a message that names the problem."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

from conftest import ROOT, copy_project, write_raw

WEIGHTS_HEADER = (
    "scoring_profile,metric_name,weight,normalisation,direction,value_if_missing,description"
)
TIERS_HEADER = "tier_name,tier_rank,lower_bound,upper_bound"


@dataclass
class SeedCheck:
    """One parsed copy of the project, rebuilt in-process with replaced seeds.

    Parsing once and reusing the manifest keeps each check to about a second;
    the seed files are read at run time, so every run sees the new rows.
    """

    project: Path
    common_args: list[str]
    manifest: object

    def build(self, weights: str | None = None, tiers: str | None = None) -> tuple[bool, str]:
        """Build the seeds and their checked models; return (success, messages)."""
        seeds = self.project / "seeds"
        (seeds / "scoring_weights.csv").write_text(
            f"{WEIGHTS_HEADER}\n{weights}\n" if weights else SHIPPED["weights"]
        )
        (seeds / "score_tiers.csv").write_text(
            f"{TIERS_HEADER}\n{tiers}\n" if tiers else SHIPPED["tiers"]
        )
        result = dbtRunner(manifest=self.manifest).invoke(
            [
                "build",
                "--select",
                "+int_scoring_weights",
                "+int_score_tiers",
                "--indirect-selection",
                "cautious",
                *self.common_args,
            ]
        )
        messages = "\n".join(str(node.message or "") for node in result.result or [])
        return result.success, messages + str(result.exception or "")


SHIPPED = {
    "weights": (ROOT / "seeds" / "scoring_weights.csv").read_text(),
    "tiers": (ROOT / "seeds" / "score_tiers.csv").read_text(),
}


@pytest.fixture(scope="module")
def seed_check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeedCheck]:
    folder = tmp_path_factory.mktemp("seeds")
    project = copy_project(folder / "project")
    raw = write_raw(folder / "raw", {"crm__customers": [{"customer_id": "1"}]})
    patch = pytest.MonkeyPatch()
    patch.setenv("CBS_DATA_DIR", str(raw))
    patch.setenv("CBS_DUCKDB_PATH", str(folder / "cbs.duckdb"))
    patch.setenv("CBS_TARGET", "duckdb")
    patch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    common_args = [
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
        "--quiet",
    ]
    parsed = dbtRunner().invoke(["parse", *common_args])
    assert parsed.success, parsed.exception
    yield SeedCheck(project, common_args, parsed.result)
    patch.undo()


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (
            "balanced,purchase_frequncy,1,rank,higher_is_better,0,typo",
            "metric 'purchase_frequncy': unknown metric",
        ),
        (
            "balanced,purchase_frequency,1,zscore,higher_is_better,0,x",
            "unknown normalisation 'zscore'",
        ),
        (
            "balanced,purchase_frequency,1,rank,up,0,x",
            "unknown direction 'up'",
        ),
        (
            "balanced,purchase_frequency,-0.5,rank,higher_is_better,0,x\n"
            "balanced,total_spend,1,rank,higher_is_better,0,x",
            "weight must be a finite number >= 0, got -0.5",
        ),
        (
            "balanced,purchase_frequency,inf,rank,higher_is_better,0,x",
            "weight must be a finite number >= 0, got inf",
        ),
        (
            "balanced,purchase_frequency,nan,rank,higher_is_better,0,x",
            "weight must be a finite number >= 0, got nan",
        ),
        (
            "balanced,purchase_frequency,0,rank,higher_is_better,0,x\n"
            "balanced,total_spend,0,rank,higher_is_better,0,x",
            "profile 'balanced': all weights are zero",
        ),
        (
            "upsell,total_spend,1,rank,higher_is_better,0,x",
            "default profile 'balanced' (var cbs_default_profile) has no weights",
        ),
        (
            "balanced,total_spend,1,rank,higher_is_better,0,x\n"
            "balanced,total_spend,2,rank,higher_is_better,0,x",
            "listed more than once",
        ),
        (
            "balanced,average_rating,1,minmax,higher_is_better,1.5,x",
            "value_if_missing must be between 0 and 1, got 1.5",
        ),
    ],
    ids=[
        "unknown-metric",
        "unknown-method",
        "unknown-direction",
        "negative-weight",
        "infinite-weight",
        "nan-weight",
        "all-zero",
        "no-default-profile",
        "duplicate-row",
        "missing-value-out-of-range",
    ],
)
def test_bad_weights_stop_the_build(seed_check: SeedCheck, weights: str, message: str) -> None:
    ok, output = seed_check.build(weights=weights)
    assert not ok
    assert "seed scoring_weights is not valid" in output
    assert message in output


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ("high,1,70,100\nmedium,2,40,60\nlow,3,0,40", "gap between tier 'medium'"),
        ("high,1,60,100\nmedium,2,40,70\nlow,3,0,40", "overlaps tier 'high'"),
        ("high,1,70,100\nmedium,2,40,70\nlow,3,10,40", "the lowest tier must start at 0"),
        ("high,1,70,90\nmedium,2,40,70\nlow,3,0,40", "the highest tier must end at 100"),
        ("high,2,70,100\nmedium,1,40,70\nlow,3,0,40", "its tier_rank must be smaller"),
        ("high,1,70,100\nhigh,2,40,70\nlow,3,0,40", "tier names must be present and unique"),
    ],
    ids=["gap", "overlap", "no-zero", "no-hundred", "rank-order", "duplicate-name"],
)
def test_bad_tiers_stop_the_build(seed_check: SeedCheck, tiers: str, message: str) -> None:
    ok, output = seed_check.build(tiers=tiers)
    assert not ok
    assert "seed score_tiers is not valid" in output
    assert message in output


def test_any_number_of_valid_tiers_builds(seed_check: SeedCheck) -> None:
    tiers = "platinum,1,90,100\ngold,2,75,90\nsilver,3,50,75\nbronze,4,0,50"
    ok, output = seed_check.build(tiers=tiers)
    assert ok, output


def test_the_shipped_seeds_are_valid(seed_check: SeedCheck) -> None:
    ok, output = seed_check.build()
    assert ok, output
