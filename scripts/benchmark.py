"""Benchmark the dbt build against the engine's floor and a pandas version.

On one set of generated data (scripts/generate_data.py) it measures, each
in its own process with its wall time and peak memory (max RSS from
os.wait4):

- ``dbt run`` from scratch (models only, after ``dbt seed``);
- ``dbt build`` from scratch (models, seeds and every test);
- an incremental ``dbt run`` after about 1% new events are appended;
- the floor: benchmarks/floor_scores.sql, one hand-written DuckDB query from
  the raw files to the default profile's scores;
- benchmarks' pandas version (scripts/pandas_scores.py).

It checks that dbt, the floor and pandas agree on the default profile's
scores (same customers, scores within --tolerance, same tiers except at an
exact tier boundary) and prints the times, memory and ratios. It exits
non-zero when they disagree.

Example::

    python scripts/benchmark.py --customers 100000 --work-dir /tmp/cbs-bench
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FLOOR_SQL = ROOT / "benchmarks" / "floor_scores.sql"
EVENT_TABLES = {
    "crm__interactions": ("interaction_id", "occurred_at"),
    "shop__orders": ("order_id", "ordered_at"),
    "shop__product_views": ("view_id", "viewed_at"),
    "social__engagements": ("engagement_id", "occurred_at"),
    "feedback__responses": ("feedback_id", "submitted_at"),
}


@dataclass
class Measure:
    """One measured step: wall seconds and the process's peak memory."""

    name: str
    seconds: float
    max_rss_mb: float
    failure: str | None = None


def measure(name: str, command: list[str], env: dict[str, str], may_fail: bool = False) -> Measure:
    """Run ``command`` as a child process and measure it. A failure stops the
    benchmark, unless ``may_fail``: then it is recorded in the result (pandas
    killed for want of memory is a finding, not a broken benchmark)."""
    logger.info("running %s", name)
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in kilobytes on Linux.
    result = Measure(name, seconds, usage.ru_maxrss / 1024)
    if code != 0:
        sys.stderr.write(output.decode(errors="replace")[-5000:])
        result.failure = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
        if not may_fail:
            raise SystemExit(f"{name} failed: {result.failure}")
        logger.warning("%s failed after %.0f s: %s", name, seconds, result.failure)
    return result


def dbt_env(data_dir: Path, database: Path, memory_limit: str, threads: int) -> dict[str, str]:
    return {
        **os.environ,
        "CBS_DATA_DIR": str(data_dir),
        "CBS_DUCKDB_PATH": str(database),
        "CBS_DUCKDB_MEMORY_LIMIT": memory_limit,
        "CBS_THREADS": str(threads),
        "CBS_TARGET": "duckdb",
        "DBT_PROFILES_DIR": str(ROOT),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def dbt(args: list[str], work: Path) -> list[str]:
    return [
        str(BIN / "dbt"),
        *args,
        "--project-dir",
        str(ROOT),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--quiet",
    ]


INCREMENTAL_MODELS = {
    "base_crm__interactions",
    "base_shop__orders",
    "base_shop__order_lines",
    "base_shop__product_views",
    "base_social__engagements",
    "base_feedback__responses",
    "int_customer_daily_activity",
}


def incremental_seconds(work: Path) -> float:
    """Seconds the incremental models took in the last dbt invocation."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    return sum(
        r["execution_time"] for r in results if r["unique_id"].split(".")[-1] in INCREMENTAL_MODELS
    )


def heaviest_models(work: Path, count: int = 8) -> list[tuple[str, float]]:
    """The models that took longest in the last dbt invocation (run_results.json)."""
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    models = [
        (r["unique_id"].split(".")[-1], r["execution_time"])
        for r in results
        if r["unique_id"].startswith("model.")
    ]
    return sorted(models, key=lambda item: -item[1])[:count]


def append_new_events(data_dir: Path, share: float, end_date: date) -> int:
    """Append ``share`` new events to every event file: copies of existing rows
    under new keys, dated the day after the data ends, every fifth dated 3 to 9
    days back (late). Returns the number of rows appended."""
    appended = 0
    for table, (key, time_column) in EVENT_TABLES.items():
        path = data_dir / f"{table}.parquet"
        old = pq.read_table(path)
        step = max(1, round(1 / share))
        sample = old.take(list(range(0, old.num_rows, step)))
        numbers = list(range(sample.num_rows))
        days = [
            end_date - timedelta(days=3 + n % 7) if n % 5 == 0 else end_date + timedelta(days=1)
            for n in numbers
        ]
        new = sample.set_column(
            sample.schema.get_field_index(key),
            key,
            pa.array([f"BENCH{n:09d}" for n in numbers], pa.string()),
        )
        new = new.set_column(
            new.schema.get_field_index(time_column),
            time_column,
            pa.array([f"{d.isoformat()} 12:00:00" for d in days], pa.string()),
        )
        pq.write_table(pa.concat_tables([old, new.cast(old.schema)]), path)
        appended += new.num_rows
    return appended


def run_floor(data_dir: Path, out: Path, memory_limit: str, threads: int) -> None:
    """Run benchmarks/floor_scores.sql on ``data_dir`` and write its scores."""
    sql = FLOOR_SQL.read_text().format(
        data_dir=data_dir,
        seeds_dir=ROOT / "seeds",
        min_valid_date="1990-01-01",
        max_amount=1000000000,
        max_line_quantity=10000,
        window_days=365,
    )
    connection = duckdb.connect(str(out.with_suffix(".duckdb")))
    connection.execute(
        f"set memory_limit = '{memory_limit}'; set threads = {threads}; set TimeZone = 'UTC'"
    )
    *macros, query = [part for part in sql.split(";\n") if part.strip()]
    for statement in macros:
        connection.execute(statement)
    connection.execute(f"copy ({query.strip().rstrip(';')}) to '{out}' (format parquet)")
    connection.close()


def compare(
    dbt_database: Path, floor: Path, pandas: Path, tolerance: float, boundaries: list[float]
) -> dict:
    """Agreement of the three score sets on the default profile."""
    connection = duckdb.connect()
    connection.execute(f"attach '{dbt_database}' as built (read_only)")
    connection.execute(
        "create table ours as select customer_id, score, tier from built.marts.customer_scores "
        "where is_default_profile"
    )
    result = {"customers": connection.execute("select count(*) from ours").fetchone()[0]}
    boundary_list = ", ".join(str(b) for b in boundaries) or "null"
    for name, path in (("floor", floor), ("pandas", pandas)):
        row = connection.execute(
            f"""
            select
                count(*) filter (where other.customer_id is null) as missing,
                count(*) filter (where ours.customer_id is null) as extra,
                max(abs(ours.score - other.score)) as max_difference,
                count(*) filter (where abs(ours.score - other.score) > {tolerance}) as off_scores,
                count(*) filter (
                    where ours.tier <> other.tier
                    and not list_contains([{boundary_list}], ours.score)
                    and not list_contains([{boundary_list}], other.score)
                ) as off_tiers
            from ours
            full outer join read_parquet('{path}') as other
                on ours.customer_id = other.customer_id
            """
        ).fetchone()
        result[name] = dict(
            zip(["missing", "extra", "max_difference", "off_scores", "off_tiers"], row, strict=True)
        )
    connection.close()
    return result


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    floor = sub.add_parser("floor", help="run the floor query alone (used internally)")
    floor.add_argument("--data-dir", type=Path, required=True)
    floor.add_argument("--out", type=Path, required=True)
    floor.add_argument("--memory-limit", default="8GB")
    floor.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--customers", type=int, default=100_000, help="CRM customers (about 10 events each)"
    )
    parser.add_argument(
        "--from-data",
        type=Path,
        help="a folder written by generate_data.py to copy instead of generating"
        " (--customers and --end-date then come from its _manifest.json)",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--end-date", default="2026-11-30", help="last day of the generated data")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=ROOT / "benchmarks" / "runs",
        help="data, databases, results",
    )
    parser.add_argument(
        "--memory-limit", default="8GB", help="DuckDB memory limit (dbt and the floor)"
    )
    parser.add_argument("--threads", type=int, default=2, help="DuckDB and dbt threads")
    parser.add_argument(
        "--dbt-threads",
        type=int,
        help="models dbt builds at once, if not --threads (each query still uses every core)",
    )
    parser.add_argument(
        "--new-share",
        type=float,
        default=0.01,
        help="share of new events before the incremental run",
    )
    parser.add_argument(
        "--tolerance", type=float, default=0.001, help="largest score difference that agrees"
    )
    parser.add_argument("--skip-pandas", action="store_true", help="leave out the pandas version")
    parser.add_argument(
        "--skip-build", action="store_true", help="leave out dbt build (models with tests)"
    )
    parser.add_argument(
        "--skip-incremental", action="store_true", help="leave out the incremental run"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if args.command == "floor":
        run_floor(args.data_dir, args.out, args.memory_limit, args.threads)
        return
    if args.from_data:
        generated_with = json.loads((args.from_data / "_manifest.json").read_text())["arguments"]
        args.customers, args.end_date = generated_with["customers"], generated_with["end_date"]
    work = args.work_dir / f"c{args.customers}"
    data = work / "data"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.glob("*.duckdb*"):
        old.unlink() if old.is_file() else None
    python = sys.executable

    started = time.perf_counter()
    if args.from_data:
        # The incremental step appends to the files: work on a copy.
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(args.from_data, data)
        source = f"copied from {args.from_data}"
    else:
        subprocess.run(
            [
                python,
                str(ROOT / "scripts" / "generate_data.py"),
                "--customers",
                str(args.customers),
                "--seed",
                str(args.seed),
                "--end-date",
                args.end_date,
                "--out",
                str(data),
            ],
            check=True,
            capture_output=True,
        )
        source = "generated"
    prepared = time.perf_counter() - started
    manifest = json.loads((data / "_manifest.json").read_text())
    events = sum(manifest["rows"][t] for t in EVENT_TABLES) + manifest["rows"]["shop__order_lines"]

    dbt_threads = args.dbt_threads or args.threads
    run_env = dbt_env(data, work / "run.duckdb", args.memory_limit, dbt_threads)
    build_env = dbt_env(data, work / "build.duckdb", args.memory_limit, dbt_threads)
    measures: list[Measure] = []
    measure("dbt seed", dbt(["seed"], work), run_env)
    measures.append(measure("dbt run (full)", dbt(["run"], work), run_env))
    heavy_full = heaviest_models(work)
    staged_full = incremental_seconds(work)
    if not args.skip_build:
        measures.append(measure("dbt build (full, with tests)", dbt(["build"], work), build_env))
    measures.append(
        measure(
            "floor query",
            [
                python,
                __file__,
                "floor",
                "--data-dir",
                str(data),
                "--out",
                str(work / "floor.parquet"),
                "--memory-limit",
                args.memory_limit,
                "--threads",
                str(args.threads),
            ],
            os.environ.copy(),
        )
    )
    if not args.skip_pandas:
        measures.append(
            measure(
                "pandas",
                [
                    python,
                    str(ROOT / "scripts" / "pandas_scores.py"),
                    "--data-dir",
                    str(data),
                    "--out",
                    str(work / "pandas.parquet"),
                ],
                os.environ.copy(),
                may_fail=True,
            )
        )
    pandas_ok = any(m.name == "pandas" and m.failure is None for m in measures)
    tiers_csv = ROOT / "seeds" / "score_tiers.csv"
    tiers = duckdb.sql(f"select distinct cast(lower_bound as double) from read_csv('{tiers_csv}')")
    agreement = compare(
        work / ("run.duckdb" if args.skip_build else "build.duckdb"),
        work / "floor.parquet",
        work / ("pandas.parquet" if pandas_ok else "floor.parquet"),
        args.tolerance,
        [row[0] for row in tiers.fetchall()],
    )
    appended, heavy_incremental, staged_incremental = 0, [], 0.0
    if not args.skip_incremental:
        if not args.skip_build:
            # Compared already; its room on disk is better left to the
            # incremental run's spill files (at 100M events they filled it).
            (work / "build.duckdb").unlink()
            logger.info("removed build.duckdb (compared) to leave the disk to the next step")
        appended = append_new_events(data, args.new_share, date.fromisoformat(args.end_date))
        # A failure here still prints every figure measured before it.
        measures.append(
            measure("dbt run (incremental)", dbt(["run"], work), run_env, may_fail=True)
        )
        heavy_incremental = heaviest_models(work)
        staged_incremental = incremental_seconds(work)

    by_name = {m.name: m for m in measures}
    full, floor = by_name["dbt run (full)"], by_name["floor query"]
    print(
        f"data: {args.customers:,} customers, {events:,} event rows (order lines included), "
        f"{source} in {prepared:.0f} s; {appended:,} new event rows before the incremental run"
    )
    print(
        f"DuckDB memory limit {args.memory_limit}, {args.threads} threads"
        f" ({dbt_threads} for dbt), {os.cpu_count()} CPUs"
    )
    print(f"{'step':32} {'seconds':>9} {'peak MB':>9}")
    for m in measures:
        failed = f"  FAILED: {m.failure}" if m.failure else ""
        print(f"{m.name:32} {m.seconds:9.1f} {m.max_rss_mb:9.0f}{failed}")
    print("ratios:")
    print(f"  dbt run / floor            {full.seconds / floor.seconds:6.2f}")
    if "dbt build (full, with tests)" in by_name:
        build = by_name["dbt build (full, with tests)"]
        print(f"  dbt build / floor          {build.seconds / floor.seconds:6.2f}")
    if "dbt run (incremental)" in by_name and by_name["dbt run (incremental)"].failure is None:
        incremental = by_name["dbt run (incremental)"]
        print(f"  incremental / full run     {incremental.seconds / full.seconds:6.2f}")
        print(
            f"  incremental models only    {staged_incremental / staged_full:6.2f}"
            f"  ({staged_incremental:.1f} s of {staged_full:.1f} s: event staging, daily activity)"
        )
    if pandas_ok:
        pandas = by_name["pandas"]
        print(f"  pandas / dbt run           {pandas.seconds / full.seconds:6.2f}")
        print(f"  pandas / floor             {pandas.seconds / floor.seconds:6.2f}")
        print(f"  dbt run peak / pandas peak {full.max_rss_mb / pandas.max_rss_mb:6.2f}")
    print("heaviest models, full run:  " + ", ".join(f"{n} {s:.1f}s" for n, s in heavy_full))
    print(
        "heaviest models, incremental: " + ", ".join(f"{n} {s:.1f}s" for n, s in heavy_incremental)
    )
    print(f"agreement on {agreement['customers']:,} default-profile scores:")
    ok = True
    for name in ("floor", "pandas") if pandas_ok else ("floor",):
        facts = agreement[name]
        print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in facts.items()))
        ok &= (
            facts["missing"] == 0
            and facts["extra"] == 0
            and facts["off_scores"] == 0
            and facts["off_tiers"] == 0
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "measures": [m.__dict__ for m in measures],
                    "agreement": agreement,
                    "events": events,
                    "customers": args.customers,
                    "heaviest_full": heavy_full,
                    "heaviest_incremental": heavy_incremental,
                    "incremental_models_seconds": [staged_full, staged_incremental],
                },
                indent=2,
                default=str,
            )
        )
    if not ok:
        raise SystemExit("the score sets disagree (see above)")
    failed = [m.name for m in measures if m.failure and m.name != "pandas"]
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)} (see above)")


if __name__ == "__main__":
    main()
