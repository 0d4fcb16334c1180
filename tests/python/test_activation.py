"""Activation marts, privacy and the semantic layer on a real build.

One module-scoped build of a copy of the project on tiny generated data
(end date 2026-11-30), scoring two dates so the history holds alerts, with
the two best tiers as sales accounts so that the generator's few reps run
out of capacity. The checks read the built DuckDB file; the MetricFlow
checks run ``mf query`` against the same file and compare with SQL on the
marts. Bad activation seeds and settings are built separately and must
stop the build with a message naming the problem.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BIN, Build, copy_project, generate, run_dbt

DATES = ["2026-10-31", "2026-11-30"]
AS_OF = DATES[-1]
SALES_MAX_TIER_RANK = 2
CARE_WINDOW_DAYS = 30
# Column names that would put personal data in a BI-facing table.
PERSONAL = re.compile(r"e_?mail|phone|birth", re.IGNORECASE)
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Schemas a BI tool is granted; restricted, staging and intermediate are not.
BI_SCHEMAS = ("marts",)
BUILD_ARGS = [
    "build",
    "--exclude",
    "resource_type:test,path:models/staging",
    "resource_type:test,path:models/intermediate",
]


@dataclass
class ProjectBuild:
    """A build of a project copy: the dbt run, its folder and the data it read."""

    build: Build
    project: Path
    data: Path


@pytest.fixture(scope="module")
def activation(tmp_path_factory: pytest.TempPathFactory) -> ProjectBuild:
    """Tiny data scored on two dates, built into a copy of the project."""
    folder = tmp_path_factory.mktemp("activation")
    data = generate(folder / "data", size="tiny", end_date=AS_OF)
    project = copy_project(folder / "project")
    build = run_dbt(
        data,
        project / "cbs.duckdb",
        BUILD_ARGS,
        dbt_vars={
            "cbs_as_of_dates": ",".join(DATES),
            "cbs_sales_max_tier_rank": SALES_MAX_TIER_RANK,
            "cbs_care_window_days": CARE_WINDOW_DAYS,
        },
        project_dir=project,
    )
    assert build.ok, build.output[-5000:]
    return ProjectBuild(build, project, data)


def test_every_scored_customer_has_one_segment_with_an_action(
    activation: ProjectBuild,
) -> None:
    """Segments cover the default profile's customers on the newest date, once each."""
    build = activation.build
    scored = build.query(
        "select customer_id, tier from marts.customer_scores"
        f" where is_default_profile and as_of_date = '{AS_OF}' order by 1"
    )
    segmented = build.query("select customer_id, tier from marts.customer_segments order by 1")
    assert scored and segmented == scored
    assert (
        build.scalar(
            "select count(*) from marts.customer_segments"
            f" where action is null or channel is null or as_of_date <> '{AS_OF}'"
        )
        == 0
    )
    stages = {row[0] for row in build.query("select lifecycle_stage from marts.customer_segments")}
    assert stages <= {"new", "active", "cooling", "lapsed"}
    assert len(stages) >= 2, "tiny data should reach more than one lifecycle stage"


def test_assigned_plus_unassigned_is_every_top_account(activation: ProjectBuild) -> None:
    """No account is dropped; reps fill to capacity in order before any account waits."""
    build = activation.build
    top = build.scalar(
        "select count(*) from marts.customer_scores where is_default_profile"
        f" and as_of_date = '{AS_OF}' and tier_rank <= {SALES_MAX_TIER_RANK}"
    )
    capacity = build.scalar(
        "select coalesce(sum(capacity_accounts), 0) from staging.stg_crm__sales_reps"
        " where is_active and capacity_accounts > 0"
    )
    counts = dict(
        build.query("select assignment_status, count(*) from marts.sales_assignments group by 1")
    )
    assert counts.get("assigned", 0) + counts.get("unassigned", 0) == top
    assert counts.get("assigned", 0) == min(top, capacity)
    assert counts.get("unassigned", 0) > 0, "the build is set up so capacity runs out"
    # Every unassigned account ranks below every assigned one.
    assert build.scalar(
        "select max(account_rank) from marts.sales_assignments where assignment_status = 'assigned'"
    ) < build.scalar(
        "select min(account_rank) from marts.sales_assignments"
        " where assignment_status = 'unassigned'"
    )
    over = build.query(
        "select assignments.sales_rep_id from marts.sales_assignments as assignments"
        " inner join staging.stg_crm__sales_reps as reps"
        " on assignments.sales_rep_id = reps.sales_rep_id"
        " group by assignments.sales_rep_id, reps.capacity_accounts, reps.is_active"
        " having count(*) > reps.capacity_accounts or not reps.is_active"
    )
    assert over == []


def test_care_list_holds_only_high_tier_occasions_in_the_window(activation: ProjectBuild) -> None:
    """Only best-tier customers, only days 1..N after the as-of date."""
    build = activation.build
    rows = build.query(
        "select care.customer_id, scores.tier_rank, care.days_until, care.occasion_name"
        " from restricted.care_list as care"
        " inner join marts.customer_scores as scores"
        " on care.customer_id = scores.customer_id"
        f" and scores.is_default_profile and scores.as_of_date = '{AS_OF}'"
    )
    assert rows, "the default seed's Christmas falls in the window after 2026-11-30"
    assert {row[1] for row in rows} == {1}
    assert all(1 <= row[2] <= CARE_WINDOW_DAYS for row in rows)
    high = build.scalar(
        "select count(*) from marts.customer_scores"
        f" where is_default_profile and as_of_date = '{AS_OF}' and tier_rank = 1"
    )
    christmas = build.scalar(
        "select count(*) from restricted.care_list where occasion_name = 'christmas'"
    )
    assert christmas == high


def test_interests_count_the_window_views(activation: ProjectBuild) -> None:
    """Views per customer add up to the stitched views in the window; latent demand is exact."""
    build = activation.build
    in_interests = build.scalar("select sum(product_views) from marts.customer_interests")
    in_window = build.scalar(
        "select count(*) from intermediate.int_product_views_stitched as views"
        " cross join (select * from intermediate.int_scoring_dates"
        f" where as_of_date = '{AS_OF}') as scoring_date"
        " where views.customer_id is not null"
        " and views.viewed_at >= cast(scoring_date.window_start_date as timestamp)"
        " and views.viewed_at < scoring_date.as_of_end_at"
    )
    assert in_interests == in_window > 0
    assert (
        build.scalar(
            "select count(*) from marts.customer_interests"
            " where is_latent_demand <> (product_views > 0 and purchase_orders = 0)"
        )
        == 0
    )
    assert build.scalar("select count(*) from marts.customer_interests where is_latent_demand") > 0


def test_category_demand_keeps_every_view(activation: ProjectBuild) -> None:
    """Demand by tier and month adds up to all kept views up to the as-of day."""
    build = activation.build
    assert build.scalar(
        "select sum(product_views) from marts.category_demand_by_tier_month"
    ) == build.scalar(
        "select count(*) from staging.stg_shop__product_views"
        f" where viewed_at < cast('{AS_OF}' as date) + 1"
    )


DEMAND_BY_DISTINCT_COUNTS = f"""
with tiers as (
    select customer_id, tier from intermediate.int_customer_scores_newest
),
views as (
    select
        coalesce(tiers.tier, 'unattributed') as tier,
        cast(date_trunc('month', v.viewed_at) as date) as month_start_date,
        coalesce(p.category, 'unknown') as category,
        count(*) as product_views,
        count(distinct tiers.customer_id) as viewing_customers
    from intermediate.int_product_views_stitched as v
    left join tiers on v.customer_id = tiers.customer_id
    left join staging.stg_shop__products as p on v.product_id = p.product_id
    where v.viewed_at < cast('{AS_OF}' as date) + 1
    group by all
),
purchases as (
    select
        coalesce(tiers.tier, 'unattributed') as tier,
        cast(date_trunc('month', o.ordered_at) as date) as month_start_date,
        coalesce(p.category, 'unknown') as category,
        count(distinct o.order_id) as purchase_orders,
        sum(l.quantity) as purchased_units,
        count(distinct tiers.customer_id) as buying_customers
    from intermediate.int_orders_stitched as o
    inner join staging.stg_shop__order_lines as l on o.order_id = l.order_id
    left join tiers on o.customer_id = tiers.customer_id
    left join staging.stg_shop__products as p on l.product_id = p.product_id
    where o.status = 'completed' and o.ordered_at < cast('{AS_OF}' as date) + 1
    group by all
)
select
    coalesce(views.tier, purchases.tier),
    coalesce(views.month_start_date, purchases.month_start_date),
    coalesce(views.category, purchases.category),
    coalesce(product_views, 0),
    coalesce(viewing_customers, 0),
    coalesce(purchase_orders, 0),
    coalesce(purchased_units, 0),
    coalesce(buying_customers, 0)
from views
full outer join purchases using (tier, month_start_date, category)
"""


def test_category_demand_counts_distinct_customers_and_orders(
    activation: ProjectBuild,
) -> None:
    """The mart's counts equal count(distinct ...) taken straight over the stitched events."""
    build = activation.build
    mart = (
        "select tier, month_start_date, category, product_views, viewing_customers,"
        " purchase_orders, purchased_units, buying_customers"
        " from marts.category_demand_by_tier_month"
    )
    expected = f"select * from ({DEMAND_BY_DISTINCT_COUNTS})"
    assert build.scalar(f"select count(*) from ({mart})") > 10
    # Several views and orders per customer and group, or the check proves little.
    assert build.scalar(
        f"select sum(product_views) > sum(viewing_customers) and"
        f" sum(purchase_orders) > sum(buying_customers) from ({mart})"
    )
    assert build.query(f"({mart}) except all ({expected})") == []
    assert build.query(f"({expected}) except all ({mart})") == []


def manifest(project: Path) -> dict:
    """The manifest the build wrote."""
    return json.loads((project / "target" / "manifest.json").read_text())


def test_bi_marts_carry_no_personal_columns(activation: ProjectBuild) -> None:
    """No table a BI tool reads has an e-mail, phone or birth-date column."""
    build = activation.build
    schemas = ", ".join(f"'{schema}'" for schema in BI_SCHEMAS)
    columns = build.query(
        "select table_schema, table_name, column_name from information_schema.columns"
        f" where table_schema in ({schemas})"
    )
    assert len({row[1] for row in columns}) >= 10, "the marts should be built"
    assert [row for row in columns if PERSONAL.search(row[2])] == []
    # The restricted care list does carry them: the check can see them.
    restricted = build.query(
        "select column_name from information_schema.columns"
        " where table_schema = 'restricted' and table_name = 'care_list'"
    )
    assert any(PERSONAL.search(row[0]) for row in restricted)


def test_manifest_keeps_personal_data_restricted(activation: ProjectBuild) -> None:
    """Declared columns, access meta and exposures agree with the privacy rule."""
    nodes = manifest(activation.project)["nodes"]
    exposures = manifest(activation.project)["exposures"]
    restricted = set()
    for node_id, node in nodes.items():
        if node["resource_type"] != "model" or not node["path"].startswith("marts/"):
            continue
        if node["path"].startswith("marts/restricted/"):
            assert node["config"]["meta"].get("access") == "restricted", node_id
            assert "restricted" in node["tags"], node_id
            assert node["schema"] == "restricted", node_id
            restricted.add(node_id)
        else:
            personal = [name for name in node["columns"] if PERSONAL.search(name)]
            assert personal == [], f"{node_id} declares personal columns {personal}"
            assert node["schema"] != "restricted", node_id
    assert "model.cbs.care_list" in restricted
    assert exposures, "the marts declare their BI consumers"
    for exposure_id, exposure in exposures.items():
        reads = set(exposure["depends_on"]["nodes"])
        assert not reads & restricted, f"{exposure_id} reads restricted models"


def test_quarantine_mart_masks_personal_values(activation: ProjectBuild) -> None:
    """Raw records in marts.quarantined_rows hold no e-mail address; staging still has them."""
    build = activation.build
    staged = build.query(
        "select raw_record from staging.base_crm__customers where row_status = 'quarantined'"
    )
    assert any(EMAIL_ADDRESS.search(row[0]) for row in staged), "dirt should include e-mails"
    published = build.query("select table_name, raw_record from marts.quarantined_rows")
    assert len(published) == build.scalar(
        "select sum(quarantined_rows) from marts.source_row_reconciliation"
    )
    leaks = [row for row in published if EMAIL_ADDRESS.search(row[1])]
    assert leaks == []
    masked = build.query(
        "select json_extract_string(raw_record, '$.email'),"
        " json_extract_string(raw_record, '$.country')"
        " from marts.quarantined_rows where table_name = 'customers'"
    )
    assert {row[0] for row in masked} <= {"<masked>", None}
    assert any(row[1] for row in masked), "fields that are not personal stay as they arrived"


def mf_query(project_build: ProjectBuild, metrics: str, group_by: str) -> list[dict[str, str]]:
    """Rows of ``mf query`` on the build's DuckDB file, read from its CSV output."""
    out = project_build.project / f"mf_{metrics.replace(',', '_')}.csv"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(project_build.project),
        "CBS_DUCKDB_PATH": str(project_build.project / "cbs.duckdb"),
        "CBS_DATA_DIR": str(project_build.data),
        "CBS_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(BIN / "mf"), "query", "--metrics", metrics, "--group-by", group_by]
    result = subprocess.run(
        [*command, "--csv", str(out)],
        cwd=project_build.project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with out.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_metricflow_customers_and_average_score_by_tier(activation: ProjectBuild) -> None:
    """mf query gives the customers and mean score per tier that SQL on the mart gives."""
    rows = mf_query(activation, "customers,average_score", "customer__tier")
    from_mf = {
        row["customer__tier"]: (int(row["customers"]), round(float(row["average_score"]), 6))
        for row in rows
    }
    from_sql = {
        tier: (customers, round(average, 6))
        for tier, customers, average in activation.build.query(
            "select tier, count(distinct customer_id), avg(score)"
            " from marts.customer_segments group by tier"
        )
    }
    assert from_mf == from_sql
    assert len(from_sql) >= 2


def test_metricflow_alerts_per_day(activation: ProjectBuild) -> None:
    """mf query gives the alerts per day that SQL on score_alerts gives."""
    rows = mf_query(activation, "alerts", "metric_time__day")
    from_mf = {row["metric_time__day"][:10]: int(row["alerts"]) for row in rows}
    from_sql = {
        str(day): alerts
        for day, alerts in activation.build.query(
            "select as_of_date, count(*) from marts.score_alerts group by 1"
        )
    }
    assert from_sql, "two scoring dates of tiny data should raise alerts"
    assert from_mf == from_sql


def run_bad_config(tmp_path: Path, edits: dict[str, str], args: list[str], dbt_vars=None) -> str:
    """Build a project copy whose files are overwritten by ``edits``; return dbt's output."""
    project = copy_project(tmp_path / "project")
    for name, text in edits.items():
        (project / name).write_text(text)
    # The seeds and their checks read no raw data.
    result = run_dbt(
        tmp_path / "no_data", project / "cbs.duckdb", args, dbt_vars=dbt_vars, project_dir=project
    )
    assert not result.ok, "the build must stop"
    return result.output


def test_bad_activation_seeds_stop_the_build(tmp_path: Path) -> None:
    """Seed faults are reported row by row, naming what is wrong."""
    actions = (Path(__file__).parents[2] / "seeds" / "segment_actions.csv").read_text()
    lines = actions.splitlines()
    header, rows = lines[0], lines[1:]
    kept = [row for row in rows if not row.startswith("low,lapsed,")]
    bad_actions = [
        header,
        *kept,
        kept[0],
        "gold,active,perks,email,unknown tier",
        "high,sleeping,nudge,email,unknown stage",
        "medium,new,,email,no action",
        "",
    ]
    bad_occasions = "occasion_name,month,day,what_to_send\nbirthday,,,card\nleap,2,30,cake\n"
    output = run_bad_config(
        tmp_path,
        {
            "seeds/segment_actions.csv": "\n".join(bad_actions),
            "seeds/care_occasions.csv": bad_occasions,
        },
        [
            "build",
            "--select",
            "segment_actions care_occasions score_tiers int_segment_actions int_care_occasions",
        ],
    )
    for message in (
        "seed segment_actions is not valid",
        "tier 'low', stage 'lapsed': segment has no action",
        "tier 'high', stage 'new': listed more than once",
        "tier 'gold', stage 'active': unknown tier",
        "tier 'high', stage 'sleeping': unknown lifecycle_stage",
        "tier 'medium', stage 'new': action is empty",
        "seed care_occasions is not valid",
        "occasion 'leap': month 2, day 30 is not a day of the year",
    ):
        assert message in output, output[-3000:]


def test_lifecycle_thresholds_out_of_order_stop_the_build(tmp_path: Path) -> None:
    """An active threshold above the cooling one is named at compile time."""
    project = copy_project(tmp_path / "project")
    result = run_dbt(
        tmp_path / "no_data",
        project / "cbs.duckdb",
        ["compile", "--select", "customer_segments"],
        dbt_vars={"cbs_lifecycle_active_days": 200, "cbs_lifecycle_cooling_days": 100},
        project_dir=project,
    )
    assert not result.ok
    assert "var cbs_lifecycle_active_days (200) must not be larger than" in result.output
