"""Tests for the real-data importers (scripts/import_cdnow.py, import_online_retail.py).

The importers translate format only, so these tests check that every raw row
arrives, ids keep their text, and all nine contract tables are written. The
real-data tests read CBS_SHARED_DATA, else ../shared/data next to the
repository, and are skipped when it is absent; the synthetic tests write
their own small inputs.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import import_cdnow
import import_online_retail
from cbs_contract import source_tables

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("CBS_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
CDNOW_FILE = SHARED_DATA / "cdnow" / "CDNOW_master.txt"
ONLINE_RETAIL_FILE = SHARED_DATA / "online_retail" / "online_retail_sample_first8000.csv"

needs_cdnow = pytest.mark.skipif(
    not CDNOW_FILE.is_file(), reason=f"real CDNOW data not found at {CDNOW_FILE}"
)
needs_online_retail = pytest.mark.skipif(
    not ONLINE_RETAIL_FILE.is_file(),
    reason=f"real Online Retail data not found at {ONLINE_RETAIL_FILE}",
)

ONLINE_RETAIL_HEADER = ",".join(import_online_retail.EXPECTED_HEADER)


def read_tables(folder: Path) -> dict[str, pa.Table]:
    """Read every contract table written to a folder."""
    return {table: pq.read_table(folder / f"{table}.parquet") for table in source_tables()}


def assert_contract(tables: dict[str, pa.Table]) -> None:
    """Each of the nine tables has exactly the contract columns, all text."""
    assert set(tables) == set(source_tables())
    for table, columns in source_tables().items():
        assert tables[table].column_names == columns, table
        assert all(field.type == pa.string() for field in tables[table].schema), table


def rows(table: pa.Table) -> list[dict[str, str | None]]:
    """Table rows as dictionaries."""
    return table.to_pylist()


# --- CDNOW, real file ------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    """Import the real CDNOW file once for this module."""
    out = tmp_path_factory.mktemp("cdnow")
    import_cdnow.import_cdnow(CDNOW_FILE, out)
    return read_tables(out)


@needs_cdnow
def test_cdnow_writes_all_contract_tables(cdnow_tables: dict[str, pa.Table]) -> None:
    assert_contract(cdnow_tables)
    filled = {"crm__customers", "shop__orders"}
    for table, data in cdnow_tables.items():
        assert (data.num_rows > 0) == (table in filled), table


@needs_cdnow
def test_cdnow_keeps_every_customer_and_purchase(cdnow_tables: dict[str, pa.Table]) -> None:
    customers = cdnow_tables["crm__customers"].column("customer_id").to_pylist()
    orders = cdnow_tables["shop__orders"]
    assert len(customers) == len(set(customers)) == 23_570
    assert orders.num_rows == 69_659
    assert set(orders.column("shop_account_id").to_pylist()) == set(customers)


@needs_cdnow
def test_cdnow_ids_stay_zero_padded(cdnow_tables: dict[str, pa.Table]) -> None:
    customers = cdnow_tables["crm__customers"]
    ids = customers.column("customer_id").to_pylist()
    assert ids[0] == "00001"
    assert all(len(customer_id) == 5 and customer_id.isdigit() for customer_id in ids)
    assert customers.column("shop_account_id").to_pylist() == ids


@needs_cdnow
def test_cdnow_exact_duplicate_lines_give_identical_orders(
    cdnow_tables: dict[str, pa.Table],
) -> None:
    data_lines = [line for line in CDNOW_FILE.read_text().splitlines()[1:] if line.strip()]
    line_groups = Counter(data_lines)
    repeated_lines = sum(count - 1 for count in line_groups.values() if count > 1)
    assert sum(1 for count in line_groups.values() if count > 1) == 215

    orders = rows(cdnow_tables["shop__orders"])
    order_groups = Counter(tuple(order.values()) for order in orders)
    assert sum(1 for count in order_groups.values() if count > 1) == 215
    # Identical lines share an id and different lines never do.
    assert len({order["order_id"] for order in orders}) == len(orders) - repeated_lines
    assert len(order_groups) == len(line_groups)


@needs_cdnow
def test_cdnow_order_values_are_translated_text(cdnow_tables: dict[str, pa.Table]) -> None:
    orders = rows(cdnow_tables["shop__orders"])
    first = orders[0]
    assert first["order_id"].startswith("00001-19970101-")
    assert first["ordered_at"] == "1997-01-01 00:00:00"
    assert first["order_total"] == "11.77"
    assert {order["status"] for order in orders} == {"completed"}
    assert {order["currency"] for order in orders} == {"USD"}
    assert sum(1 for order in orders if order["order_total"] == "0.00") == 80


# --- CDNOW, synthetic input --------------------------------------------------


def write_cdnow(path: Path, header: str = " customer_id  date number_of_cds  dollar_value") -> Path:
    """Write a small CDNOW-shaped file with CRLF lines and one repeated line."""
    lines = [
        header,
        " 00001 19970101  1   11.77",
        " 00002 19970112  2  100.50",
        " 00002 19970112  2  100.50",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("ascii"))
    return path


def test_cdnow_synthetic_file(tmp_path: Path) -> None:
    source = write_cdnow(tmp_path / "master.txt")
    counts = import_cdnow.import_cdnow(source, tmp_path / "out")
    tables = read_tables(tmp_path / "out")
    assert_contract(tables)
    assert counts["crm__customers"] == 2
    assert counts["shop__orders"] == 3
    assert counts["shop__order_lines"] == 0

    customers = rows(tables["crm__customers"])
    assert [c["customer_id"] for c in customers] == ["00001", "00002"]
    assert customers[0]["shop_account_id"] == "00001"
    assert customers[0]["email"] is None

    orders = rows(tables["shop__orders"])
    assert orders[1] == orders[2]
    assert orders[0]["order_id"] != orders[1]["order_id"]
    assert orders[1] == {
        "order_id": orders[1]["order_id"],
        "shop_account_id": "00002",
        "customer_email": None,
        "status": "completed",
        "ordered_at": "1997-01-12 00:00:00",
        "currency": "USD",
        "order_total": "100.50",
    }


def test_cdnow_order_id_is_deterministic(tmp_path: Path) -> None:
    source = write_cdnow(tmp_path / "master.txt")
    first = import_cdnow.read_purchases(source)
    second = import_cdnow.read_purchases(source)
    assert [p.order_id for p in first] == [p.order_id for p in second]


def test_cdnow_wrong_header_names_the_file(tmp_path: Path) -> None:
    source = write_cdnow(tmp_path / "wrong.txt", header="id,date,cds,value")
    with pytest.raises(import_cdnow.SourceFormatError, match=re.escape(str(source))):
        import_cdnow.import_cdnow(source, tmp_path / "out")


def test_cdnow_missing_file_fails_in_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "absent.txt"
    status = import_cdnow.main(["--source", str(source), "--out", str(tmp_path / "out")])
    assert status != 0
    assert "absent.txt" in capsys.readouterr().err


def test_cdnow_cli_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = write_cdnow(tmp_path / "master.txt")
    status = import_cdnow.main(["--source", str(source), "--out", str(tmp_path / "out")])
    printed = capsys.readouterr().out
    assert status == 0
    assert "shop__orders.parquet: 3 rows" in printed
    assert printed.count("rows") == len(source_tables())


# --- Online Retail, real file ------------------------------------------------


@pytest.fixture(scope="module")
def retail_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    """Import the real Online Retail sample once for this module."""
    out = tmp_path_factory.mktemp("online_retail")
    import_online_retail.import_online_retail(ONLINE_RETAIL_FILE, out)
    return read_tables(out)


@needs_online_retail
def test_retail_writes_all_contract_tables(retail_tables: dict[str, pa.Table]) -> None:
    assert_contract(retail_tables)
    filled = {"crm__customers", "shop__orders", "shop__order_lines", "shop__products"}
    for table, data in retail_tables.items():
        assert (data.num_rows > 0) == (table in filled), table


@needs_online_retail
def test_retail_keeps_every_line(retail_tables: dict[str, pa.Table]) -> None:
    source_rows = import_online_retail.read_rows(ONLINE_RETAIL_FILE)
    lines = rows(retail_tables["shop__order_lines"])
    assert len(source_rows) == len(lines) == 8_000
    keys = {(line["order_id"], line["line_number"]) for line in lines}
    assert len(keys) == len(lines)
    assert lines[0] == {
        "order_id": "536365",
        "line_number": "1",
        "product_id": "85123A",
        "quantity": "6",
        "unit_price": "2.55",
    }


@needs_online_retail
def test_retail_customers_as_written(retail_tables: dict[str, pa.Table]) -> None:
    ids = retail_tables["crm__customers"].column("customer_id").to_pylist()
    assert len(ids) == len(set(ids))
    assert "17850.0" in ids
    assert len({customer_id.removesuffix(".0") for customer_id in ids}) == 277


@needs_online_retail
def test_retail_one_order_per_invoice(retail_tables: dict[str, pa.Table]) -> None:
    orders = rows(retail_tables["shop__orders"])
    invoices = {line["order_id"] for line in rows(retail_tables["shop__order_lines"])}
    assert sorted(order["order_id"] for order in orders) == sorted(invoices)
    assert len(orders) == 444
    for order in orders:
        expected = "cancelled" if order["order_id"].startswith("C") else "completed"
        assert order["status"] == expected
    assert sum(1 for order in orders if order["status"] == "cancelled") == 38
    assert {order["currency"] for order in orders} == {"GBP"}
    assert all(order["order_total"] is None for order in orders)
    first = orders[0]
    assert (first["ordered_at"], first["shop_account_id"]) == ("2010-12-01 08:26:00", "17850.0")


@needs_online_retail
def test_retail_products_from_first_occurrence(retail_tables: dict[str, pa.Table]) -> None:
    products = {row["product_id"]: row for row in rows(retail_tables["shop__products"])}
    assert len(products) == 1_897
    assert products["85123A"]["product_name"] == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert products["POST"]["product_name"] == "POSTAGE"
    names = [product["product_name"] for product in products.values()]
    assert any(name and name != name.strip() for name in names)


# --- Online Retail, synthetic input ------------------------------------------


def write_retail(path: Path, header: str = ONLINE_RETAIL_HEADER) -> Path:
    """Write a small Online Retail-shaped CSV covering the format's quirks."""
    lines = [
        header,
        "536365,85123A,WHITE HANGING HEART ,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
        '536365,71053,"LANTERN, METAL",6,12/1/2010 8:26,3.39,17850.0,United Kingdom',
        "536365,85123A,OTHER NAME,2,12/1/2010 8:26,2.95,17850.0,United Kingdom",
        "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527.0,United Kingdom",
        "536414,22139,,56,12/11/2010 11:52,0.0,,United Kingdom",
        "536365,85123A,WHITE HANGING HEART ,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_retail_synthetic_file(tmp_path: Path) -> None:
    source = write_retail(tmp_path / "retail.csv")
    counts = import_online_retail.import_online_retail(source, tmp_path / "out")
    tables = read_tables(tmp_path / "out")
    assert_contract(tables)
    assert counts == {
        table: {
            "shop__order_lines": 6,
            "shop__orders": 3,
            "shop__products": 4,
            "crm__customers": 2,
        }.get(table, 0)
        for table in source_tables()
    }

    lines = rows(tables["shop__order_lines"])
    assert [(line["order_id"], line["line_number"]) for line in lines] == [
        ("536365", "1"),
        ("536365", "2"),
        ("536365", "3"),
        ("C536379", "1"),
        ("536414", "1"),
        ("536365", "4"),
    ]
    assert lines[3]["quantity"] == "-1"
    assert lines[3]["unit_price"] == "27.50"

    orders = {order["order_id"]: order for order in rows(tables["shop__orders"])}
    assert orders["536365"]["ordered_at"] == "2010-12-01 08:26:00"
    assert orders["536414"]["ordered_at"] == "2010-12-11 11:52:00"
    assert orders["C536379"]["ordered_at"] == "2010-12-01 09:41:00"
    assert orders["C536379"]["status"] == "cancelled"
    assert orders["536365"]["status"] == "completed"
    assert orders["536414"]["shop_account_id"] is None

    products = {row["product_id"]: row for row in rows(tables["shop__products"])}
    assert products["85123A"]["product_name"] == "WHITE HANGING HEART "
    assert products["85123A"]["list_price"] == "2.55"
    assert products["71053"]["product_name"] == "LANTERN, METAL"
    assert products["22139"]["product_name"] is None

    customers = rows(tables["crm__customers"])
    assert [(c["customer_id"], c["shop_account_id"]) for c in customers] == [
        ("17850.0", "17850.0"),
        ("14527.0", "14527.0"),
    ]
    assert customers[0]["country"] == "United Kingdom"


def test_retail_conflicting_customer_ids_keep_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "retail.csv"
    source.write_text(
        f"{ONLINE_RETAIL_HEADER}\n"
        "1,A,x,1,2010-12-01 08:00:00,1.0,1.0,UK\n"
        "1,B,y,1,2010-12-01 08:00:00,1.0,2.0,UK\n"
    )
    with caplog.at_level("WARNING"):
        import_online_retail.import_online_retail(source, tmp_path / "out")
    orders = rows(pq.read_table(tmp_path / "out" / "shop__orders.parquet"))
    assert [order["shop_account_id"] for order in orders] == ["1.0"]
    assert "1 invoices carry different CustomerID" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12/1/2010 8:26", "2010-12-01 08:26:00"),
        ("1/12/2011 17:05", "2011-01-12 17:05:00"),
        ("2010-12-01 08:26:00", "2010-12-01 08:26:00"),
        ("2010-12-01 08:26", "2010-12-01 08:26:00"),
        ("yesterday", None),
    ],
)
def test_retail_invoice_date_forms(text: str, expected: str | None) -> None:
    assert import_online_retail.iso_timestamp(text) == expected


def test_retail_wrong_header_names_the_file(tmp_path: Path) -> None:
    source = write_retail(tmp_path / "wrong.csv", header="Invoice,StockCode,Description")
    with pytest.raises(import_online_retail.SourceFormatError, match=re.escape(str(source))):
        import_online_retail.import_online_retail(source, tmp_path / "out")


def test_retail_missing_file_fails_in_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    source = tmp_path / "absent.csv"
    status = import_online_retail.main(["--source", str(source), "--out", str(tmp_path / "out")])
    assert status != 0
    assert "absent.csv" in capsys.readouterr().err
