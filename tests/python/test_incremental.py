"""Incremental event staging gives exactly the marts of a full refresh.

A full build on generated data; then about 1% new events are appended to
every event file (most on the day after the data ends, some dated days
back, i.e. late), together with an exact copy of an old raw row, a newer
record of an old order (a key duplicate that must win), a late line of an
old order and an order row with a bad timestamp. An incremental run over
the grown files must give every row of customer_scores and of the row
reconciliation that a full refresh on the same files gives.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import Build, generate, run_dbt

END_DATE = date(2026, 11, 30)
EVENT_TABLES = {
    # table: (key column, time column)
    "crm__interactions": ("interaction_id", "occurred_at"),
    "shop__orders": ("order_id", "ordered_at"),
    "shop__product_views": ("view_id", "viewed_at"),
    "social__engagements": ("engagement_id", "occurred_at"),
    "feedback__responses": ("feedback_id", "submitted_at"),
}
EXACT_DUPLICATES_SQL = (
    "select count(*) from staging.base_crm__interactions where row_status = 'exact_duplicate'"
)
RECONCILIATION_SQL = "select * from marts.source_row_reconciliation order by all"


def score_rows(build: Build) -> list[tuple]:
    """Every row of customer_scores, doubles rounded to 10 decimals: the
    weights carry float noise in the last bits from sums whose order depends
    on the run (see customer_score_history); the score has 4 decimals and
    tiers and ranks are compared as they are."""
    columns = build.query("describe marts.customer_scores")
    select = ", ".join(
        f"round({name}, 10)" if kind == "DOUBLE" else name for name, kind, *_ in columns
    )
    return build.query(f"select {select} from marts.customer_scores order by all")


def grown_rows(table: pa.Table, key: str, time_column: str, share: float) -> list[dict]:
    """New rows for ``table``: copies of every 1/share-th row under new keys,
    dated the day after the data ends, and every fifth of them 3 to 9 days
    back (late arrivals)."""
    rows = table.to_pylist()
    step = max(1, round(1 / share))
    new_rows = []
    for number, row in enumerate(rows[::step]):
        copy = dict(row)
        copy[key] = f"NEW{number:06d}"
        day = END_DATE + timedelta(days=1)
        if number % 5 == 0:
            day = END_DATE - timedelta(days=3 + number % 7)
        copy[time_column] = f"{day.isoformat()} 10:{number % 60:02d}:00"
        new_rows.append(copy)
    return new_rows


def old_kept_row(build: Build, table: str, key: str, where: str = "true") -> dict:
    """The raw row of some kept row of ``table`` in the first build, as a dict."""
    model = f"staging.base_{table}"
    raw = build.scalar(
        f"select raw_record from {model} where row_status = 'kept' and {where} "
        f"order by {key} limit 1"
    )
    return json.loads(raw)


def append(data: Path, table: str, rows: list[dict]) -> None:
    """Rewrite ``table``'s file with ``rows`` after its old rows (an append)."""
    path = data / f"{table}.parquet"
    old = pq.read_table(path)
    columns = old.column_names
    new = pa.table({c: pa.array([r.get(c) for r in rows], type=pa.string()) for c in columns})
    pq.write_table(pa.concat_tables([old, new.cast(old.schema)]), path)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Build, Build]:
    """(facts of the first full build, the incremental run after the append on
    the same file, a full refresh on the grown files)."""
    folder = tmp_path_factory.mktemp("incremental")
    data = generate(folder / "data", size="tiny", end_date=END_DATE.isoformat())
    incremental_db = folder / "incremental" / "cbs.duckdb"
    incremental_db.parent.mkdir()
    first = run_dbt(data, incremental_db)
    assert first.ok, first.output[-5000:]
    facts = {
        "as_of_date": first.scalar("select max(as_of_date) from marts.customer_scores"),
        "exact_duplicates": first.scalar(EXACT_DUPLICATES_SQL),
        "interactions": first.scalar("select count(*) from staging.base_crm__interactions"),
    }

    for table, (key, time_column) in EVENT_TABLES.items():
        rows = grown_rows(pq.read_table(data / f"{table}.parquet"), key, time_column, 0.01)
        if table == "crm__interactions":
            # An exact copy of an old row arrives again: an exact duplicate.
            rows.append(old_kept_row(first, "crm__interactions", "interaction_id"))
        if table == "shop__orders":
            # A newer record of an old order (now returned) must win over it,
            # and a row with an unreadable time is quarantined.
            newer = old_kept_row(first, "shop__orders", "order_id", "status = 'completed'")
            newer["status"] = "returned"
            newer["ordered_at"] = f"{END_DATE.isoformat()} 23:00:00"
            rows.append(newer)
            broken = dict(newer, order_id="NEWBROKEN", ordered_at="yesterday-ish")
            rows.append(broken)
        append(data, table, rows)
    # A late line of an old order, and a line of an order that arrived now.
    line = old_kept_row(first, "shop__order_lines", "order_id")
    late_line = dict(line, line_number="99")
    new_order_line = dict(line, order_id="NEW000000", line_number="1")
    append(data, "shop__order_lines", [late_line, new_order_line])

    incremental = run_dbt(data, incremental_db)
    assert incremental.ok, incremental.output[-5000:]

    refreshed_db = folder / "refreshed" / "cbs.duckdb"
    refreshed_db.parent.mkdir()
    # The incremental run also scores again the history date within
    # cbs_history_lookback_days (the first build's day), so the full refresh
    # scores both days.
    both_days = f"{END_DATE.isoformat()},{(END_DATE + timedelta(days=1)).isoformat()}"
    refreshed = run_dbt(
        data,
        refreshed_db,
        args=["build", "--full-refresh"],
        dbt_vars={"cbs_as_of_dates": both_days},
    )
    assert refreshed.ok, refreshed.output[-5000:]
    return facts, incremental, refreshed


def test_incremental_run_equals_full_refresh(builds: tuple[dict, Build, Build]) -> None:
    """Every row of the scores and of the reconciliation is the same."""
    first, incremental, refreshed = builds
    scores = score_rows(incremental)
    assert len(scores) > 1000
    assert scores == score_rows(refreshed)
    assert incremental.query(RECONCILIATION_SQL) == refreshed.query(RECONCILIATION_SQL)
    # The append moved the scoring day, so the run really scored new data.
    assert incremental.scalar("select max(as_of_date) from marts.customer_scores") == (
        END_DATE + timedelta(days=1)
    )
    assert first["as_of_date"] == END_DATE


def test_incremental_run_staged_only_new_rows(builds: tuple[dict, Build, Build]) -> None:
    """Rows of untouched keys keep the first build's stamp; the late duplicate,
    the winning newer record and the bad row have the fates a full build gives."""
    first, incremental, refreshed = builds
    stamps = incremental.query(
        "select count(distinct classified_at), count(*) from staging.base_crm__interactions"
    )[0]
    assert stamps[0] == 2
    restaged = incremental.scalar(
        "select count(*) from staging.base_crm__interactions where classified_at = "
        "(select max(classified_at) from staging.base_crm__interactions)"
    )
    assert restaged < stamps[1] / 10
    fates = "select row_status, count(*) from staging.{} group by all order by all"
    for model in ("base_crm__interactions", "base_shop__orders", "base_shop__order_lines"):
        assert incremental.query(fates.format(model)) == refreshed.query(fates.format(model))
    assert incremental.scalar(EXACT_DUPLICATES_SQL) == first["exact_duplicates"] + 1
    # Rows re-staged: the new ones and the old rows of the keys they touch.
    assert restaged < stamps[1] - first["interactions"] + 10
    assert (
        incremental.scalar(
            "select count(*) from staging.base_shop__orders "
            "where row_status = 'quarantined' and order_id = 'NEWBROKEN'"
        )
        == 1
    )
    assert (
        incremental.scalar(
            "select count(*) from staging.stg_shop__orders where status = 'returned' "
            f"and cast(ordered_at as date) = date '{END_DATE.isoformat()}' "
            "and order_id not like 'NEW%'"
        )
        >= 1
    )


def test_daily_activity_is_the_same(builds: tuple[dict, Build, Build]) -> None:
    """The incremental daily aggregate holds the full refresh's rows."""
    _, incremental, refreshed = builds
    sql = (
        "select * exclude (refreshed_at) from intermediate.int_customer_daily_activity order by all"
    )
    assert incremental.query(sql) == refreshed.query(sql)


def test_a_replaced_raw_file_stops_the_incremental_run(
    builds: tuple[dict, Build, Build], tmp_path: Path
) -> None:
    """An incremental run over a file that was replaced (another export, not
    appended to) or cut short stops and names the table, instead of keeping
    the old rows and missing the new ones; a full refresh then goes ahead."""
    _, _, refreshed = builds
    database = tmp_path / "cbs.duckdb"
    database.write_bytes(refreshed.database.read_bytes())
    # The next day's export: the same generator, one day later, written anew.
    replaced = generate(
        tmp_path / "next_export", size="tiny", end_date=(END_DATE + timedelta(days=1)).isoformat()
    )
    staging = ["run", "--select", "base_crm__interactions base_shop__orders"]
    run = run_dbt(replaced, database, args=staging)
    assert not run.ok
    assert "raw table crm.interactions" in run.output
    assert "raw table shop.orders" in run.output
    assert "dbt build --full-refresh" in run.output

    # A file cut short: its last staged rows are gone.
    cut = tmp_path / "cut"
    cut.mkdir()
    for path in (refreshed.database.parent.parent / "data").iterdir():
        (cut / path.name).write_bytes(path.read_bytes())
    interactions = pq.read_table(cut / "crm__interactions.parquet")
    pq.write_table(
        interactions.slice(0, interactions.num_rows - 5), cut / "crm__interactions.parquet"
    )
    run = run_dbt(cut, database, args=["run", "--select", "base_crm__interactions"])
    assert not run.ok
    assert "raw table crm.interactions" in run.output

    full = run_dbt(replaced, database, args=[*staging, "--full-refresh"])
    assert full.ok, full.output[-5000:]
