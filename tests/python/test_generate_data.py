"""Tests of scripts/generate_data.py on the tiny preset (about a second a run)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import generate_data
from cbs_contract import file_name, source_tables

END_DATE = date(2026, 11, 30)
NULL_WORDS = ("", "null", "none")


def tiny(seed: int = 42) -> generate_data.Settings:
    """Settings of the tiny preset with a fixed end date."""
    return generate_data.Settings(
        customers=generate_data.SIZES["tiny"], seed=seed, end_date=END_DATE, days=730, size="tiny"
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two runs with the same seed and one with another seed."""
    folders = {}
    for name, seed in (("first", 42), ("again", 42), ("other", 7)):
        folder = tmp_path_factory.mktemp(name)
        generate_data.generate(folder, tiny(seed))
        folders[name] = folder
    return folders


@pytest.fixture(scope="module")
def data(runs: dict[str, Path]) -> Path:
    """The folder of the first run."""
    return runs["first"]


@pytest.fixture(scope="module")
def manifest(data: Path) -> dict:
    """The manifest of the first run."""
    return json.loads((data / generate_data.MANIFEST_NAME).read_text())


@pytest.fixture(scope="module")
def con(data: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with one view per raw table of the first run."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for table in source_tables():
        connection.execute(
            f"create view {table} as select * from read_parquet('{data / file_name(table)}')"
        )
    return connection


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    """The single value a query returns."""
    return con.execute(sql).fetchone()[0]


def test_every_contract_table_is_written_with_exactly_its_columns_as_text(data: Path) -> None:
    for table, columns in source_tables().items():
        schema = pq.read_schema(data / file_name(table))
        assert schema.names == columns, table
        assert all(field.type == pa.string() for field in schema), table


def test_same_seed_gives_identical_content(runs: dict[str, Path]) -> None:
    for table in source_tables():
        first = pq.read_table(runs["first"] / file_name(table))
        again = pq.read_table(runs["again"] / file_name(table))
        assert first.num_rows > 0, table
        assert first.equals(again), table
    manifest_name = generate_data.MANIFEST_NAME
    assert (runs["first"] / manifest_name).read_text() == (
        runs["again"] / manifest_name
    ).read_text()


def test_another_seed_gives_other_content(runs: dict[str, Path]) -> None:
    for table in ("crm__customers", "shop__orders", "feedback__responses"):
        first = pq.read_table(runs["first"] / file_name(table))
        other = pq.read_table(runs["other"] / file_name(table))
        assert not first.equals(other), table


def test_manifest_row_counts_match_the_files(data: Path, manifest: dict) -> None:
    assert set(manifest["rows"]) == set(source_tables())
    for table, rows in manifest["rows"].items():
        assert pq.read_metadata(data / file_name(table)).num_rows == rows, table
    assert manifest["arguments"]["end_date"] == END_DATE.isoformat()
    assert manifest["facts"]["event_rows"] == sum(
        manifest["rows"][table] for table in generate_data.EVENT_TABLES
    )


def test_every_table_has_exact_duplicate_rows(
    con: duckdb.DuckDBPyConnection, manifest: dict
) -> None:
    for table in source_tables():
        total = scalar(con, f"select count(*) from {table}")
        distinct = scalar(con, f"select count(*) from (select distinct * from {table})")
        assert total - distinct >= 1, table
        assert manifest["dirt"][table]["exact_duplicates"] >= 1, table


def test_dirt_is_present_but_rare(con: duckdb.DuckDBPyConnection, manifest: dict) -> None:
    odd_emails = scalar(
        con,
        "select count(*) from crm__customers where email <> trim(email) or email <> lower(email)",
    )
    assert odd_emails >= 1
    null_words = scalar(
        con,
        "select count(*) from crm__customers"
        f" where lower(trim(phone)) in {NULL_WORDS} or lower(trim(birth_date)) in {NULL_WORDS}"
        f" or lower(trim(country)) in {NULL_WORDS} or lower(trim(postcode)) in {NULL_WORDS}"
        f" or lower(trim(social_handle)) in {NULL_WORDS}",
    )
    assert null_words >= 1
    assert scalar(con, "select count(*) from crm__interactions where channel = 'fax'") >= 1
    assert scalar(con, "select count(*) from shop__orders where status = 'pending'") >= 1
    assert scalar(con, "select count(*) from shop__order_lines where quantity = '1000000'") >= 1
    assert scalar(con, "select count(*) from feedback__responses where length(body) = 10000") >= 1
    assert (
        scalar(
            con,
            "select count(*) from shop__product_views"
            " where try_cast(viewed_at as timestamptz) is null",
        )
        >= 1
    )
    conflicting = scalar(
        con,
        "select count(*) from (select customer_id from crm__customers"
        " where trim(customer_id) <> '' group by customer_id"
        " having count(distinct updated_at) > 1)",
    )
    assert conflicting >= 1
    for table, kinds in manifest["dirt"].items():
        if manifest["rows"][table] >= 100:
            assert len(kinds) >= 6, f"{table} holds few kinds of dirt: {kinds}"
    dirty = sum(sum(kinds.values()) for kinds in manifest["dirt"].values())
    assert dirty / sum(manifest["rows"].values()) < 0.05


def test_timestamps_come_in_mixed_iso_forms(con: duckdb.DuckDBPyConnection) -> None:
    forms = dict(
        con.execute("""
            select
                case
                    when regexp_matches(ordered_at, '^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$')
                        then 'plain'
                    when regexp_matches(ordered_at, '^\\d{4}-\\d\\d-\\d\\dT[0-9:]{8}Z$') then 'utc'
                    when regexp_matches(
                        ordered_at, '^\\d{4}-\\d\\d-\\d\\dT[0-9:]{8}[+-]\\d\\d:\\d\\d$'
                    ) then 'offset'
                    else 'other'
                end as form,
                count(*)
            from shop__orders
            group by form
        """).fetchall()
    )
    assert forms["plain"] > forms["utc"] > 0
    assert forms["offset"] > 0


def test_guest_orders_carry_the_crm_email_in_another_form(con: duckdb.DuckDBPyConnection) -> None:
    matches = con.execute("""
        select count(*), count(*) filter (where orders.customer_email <> customers.email)
        from shop__orders as orders
        inner join crm__customers as customers
            on lower(trim(orders.customer_email)) = customers.email
        where orders.shop_account_id is null
    """).fetchone()
    assert matches[0] > 0
    assert matches[1] > 0


def test_planted_drop_customers_stop_all_activity_90_days_before_the_end(
    con: duckdb.DuckDBPyConnection, manifest: dict
) -> None:
    planted = manifest["planted_drop_customer_ids"]
    assert planted
    assert len(planted) == len(set(planted))
    con.execute("create or replace temp table planted (customer_id varchar)")
    con.executemany("insert into planted values (?)", [(c,) for c in planted])
    # Every key a planted customer is known by in the CRM, over all versions;
    # blanks and null words are no key.
    con.execute("""
        create or replace temp table planted_keys as
        select distinct
            trim(c.customer_id) as customer_id,
            nullif(lower(trim(c.email)), '') as email,
            nullif(regexp_replace(c.phone, '[^0-9]', '', 'g'), '') as phone,
            nullif(trim(c.shop_account_id), '') as account,
            case
                when lower(trim(c.social_handle)) not in ('', 'null', 'none')
                    then lower(ltrim(trim(c.social_handle), '@'))
            end as handle
        from crm__customers as c
        inner join planted as p on p.customer_id = trim(c.customer_id)
    """)
    activity = con.execute("""
        with events as (
            select trim(customer_id) as customer_id, occurred_at as at from crm__interactions
            union all
            select k.customer_id, o.ordered_at
            from shop__orders as o
            inner join planted_keys as k
                on regexp_replace(trim(o.shop_account_id), '\\.0$', '') = k.account
            union all
            select k.customer_id, o.ordered_at
            from shop__orders as o
            inner join planted_keys as k on lower(trim(o.customer_email)) = k.email
            union all
            select k.customer_id, v.viewed_at
            from shop__product_views as v
            inner join planted_keys as k
                on regexp_replace(trim(v.shop_account_id), '\\.0$', '') = k.account
            union all
            select k.customer_id, e.occurred_at
            from social__engagements as e
            inner join planted_keys as k on lower(ltrim(trim(e.social_handle), '@')) = k.handle
            union all
            select trim(customer_id), submitted_at from feedback__responses
            union all
            select k.customer_id, f.submitted_at
            from feedback__responses as f
            inner join planted_keys as k on lower(trim(f.email)) = k.email
            union all
            select k.customer_id, f.submitted_at
            from feedback__responses as f
            inner join planted_keys as k
                on regexp_replace(regexp_replace(f.phone, '[^0-9]', '', 'g'), '^00', '') = k.phone
        )
        select
            p.customer_id,
            count(events.at) filter (where try_cast(events.at as timestamptz) >= $start),
            count(events.at) filter (where try_cast(events.at as timestamptz) >= $cutoff),
            count(events.at) filter (
                where try_cast(events.at as timestamptz) >= $cutoff - interval 90 day
                    and try_cast(events.at as timestamptz) < $cutoff
            )
        from planted as p
        left join events on events.customer_id = p.customer_id
        group by p.customer_id
    """, {
        "start": date.fromisoformat(manifest["arguments"]["start_date"]),
        "cutoff": END_DATE - timedelta(days=generate_data.DROP_DAYS),
    }).fetchall()  # fmt: skip
    assert len(activity) == len(planted)
    for customer_id, in_period, in_last_days, before_silence in activity:
        assert in_period > 0, f"{customer_id} had no activity before the drop"
        assert in_last_days == 0, f"{customer_id} is active in the last 90 days"
        # Regulars until they stop: about 15 events in their last 90 days
        # (generate_data.DROP_REGULAR_EVERY_DAYS), never a quiet stretch.
        assert before_silence >= 10, f"{customer_id}: {before_silence} events before the silence"


def test_sales_reps_follow_the_brief(con: duckdb.DuckDBPyConnection) -> None:
    reps = con.execute("""
        select
            count(distinct sales_rep_id),
            min(try_cast(experience_years as int)),
            max(try_cast(experience_years as int)),
            min(try_cast(capacity_accounts as int)),
            max(try_cast(capacity_accounts as int)),
            count(*) filter (where is_active = 'false')
        from crm__sales_reps
    """).fetchone()
    assert reps[0] >= 3
    assert reps[1] >= 0 and reps[2] <= 25
    assert reps[3] >= 5 and reps[4] <= 60
    assert reps[5] >= 1


def test_order_statuses_and_totals(con: duckdb.DuckDBPyConnection) -> None:
    statuses = dict(con.execute("select status, count(*) from shop__orders group by 1").fetchall())
    total = sum(statuses.values())
    assert 0.80 < statuses["completed"] / total < 0.95
    # Where neither the order nor its lines were dirtied the total is the sum of the lines.
    mismatches = scalar(
        con,
        """
        with lines as (
            select order_id, sum(quantity::int * unit_price::decimal(12, 2)) as amount
            from (select distinct * from shop__order_lines)
            where try_cast(unit_price as decimal(12, 2)) > 0 and quantity <> '1000000'
            group by order_id
        ),
        orders as (
            select order_id, any_value(order_total) as order_total
            from shop__orders
            group by order_id
            having count(distinct order_total) = 1
        )
        select count(*) filter (where orders.order_total::decimal(18, 2) <> lines.amount)
            / count(*)
        from orders
        inner join lines on lines.order_id = orders.order_id
        where try_cast(orders.order_total as decimal(18, 2)) > 0
        """,
    )
    assert mismatches < 0.05


def test_main_prints_one_line_per_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    generate_data.main(
        ["--out", str(tmp_path), "--customers", "60", "--end-date", "2026-11-30", "--seed", "3"]
    )
    lines = capsys.readouterr().out.splitlines()
    for table in source_tables():
        assert any(line.startswith(table) and line.endswith(" rows") for line in lines), table
    arguments = json.loads((tmp_path / generate_data.MANIFEST_NAME).read_text())["arguments"]
    assert arguments["customers"] == 60
    assert arguments["size"] is None


def test_an_end_date_in_the_future_is_refused_without_a_traceback(tmp_path: Path) -> None:
    tomorrow = date.today() + timedelta(days=2)
    with pytest.raises(SystemExit, match="in the future") as stopped:
        generate_data.main(["--out", str(tmp_path), "--size", "tiny", "--end-date", str(tomorrow)])
    assert str(stopped.value).startswith("generate_data.py: error:")
    assert not (tmp_path / "_manifest.json").exists()


def test_too_short_a_period_is_refused(tmp_path: Path) -> None:
    settings = generate_data.Settings(customers=50, seed=1, end_date=END_DATE, days=30)
    with pytest.raises(ValueError, match="--days"):
        generate_data.generate(tmp_path, settings)
