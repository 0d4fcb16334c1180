# The two commands a new user needs, and the ones behind them.
#   make demo   generate demo data, build and test every model, print a summary
#   make test   lint (ruff, sqlfluff with the dbt templater), then the whole test suite
#   make lint   the lint step alone
# Every target installs what it needs into .venv first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DBT := $(BIN)/dbt

export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

DEMO_SIZE ?= demo
DEMO_DIR ?= data/demo
DEMO_DB ?= cbs.duckdb
CDNOW_SOURCE ?= ../shared/data/cdnow/CDNOW_master.txt
ONLINE_RETAIL_SOURCE ?= ../shared/data/online_retail/online_retail_sample_first8000.csv

.PHONY: demo test lint cdnow online-retail docs clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

demo: $(BIN)/activate
	$(BIN)/python scripts/generate_data.py --size $(DEMO_SIZE) --out $(DEMO_DIR)
	CBS_DATA_DIR=$(DEMO_DIR) CBS_DUCKDB_PATH=$(DEMO_DB) $(DBT) build
	$(BIN)/python scripts/summarise_build.py --database $(DEMO_DB)

# Great Expectations suites (sources, staging, marts) on the demo build: one line
# per expectation with what was observed; fails on any failed or unobserved check.
.PHONY: validate
validate: $(BIN)/activate
	$(BIN)/python scripts/validate_data.py --database $(DEMO_DB) --data-dir $(DEMO_DIR)

cdnow: $(BIN)/activate
	$(BIN)/python scripts/import_cdnow.py --source $(CDNOW_SOURCE) --out data/cdnow
	CBS_DATA_DIR=data/cdnow CBS_DUCKDB_PATH=cdnow.duckdb $(DBT) build --vars '{cbs_base_currency: USD}'
	$(BIN)/python scripts/summarise_build.py --database cdnow.duckdb

online-retail: $(BIN)/activate
	$(BIN)/python scripts/import_online_retail.py --source $(ONLINE_RETAIL_SOURCE) --out data/online_retail
	CBS_DATA_DIR=data/online_retail CBS_DUCKDB_PATH=online_retail.duckdb $(DBT) build --vars '{cbs_base_currency: GBP}'
	$(BIN)/python scripts/summarise_build.py --database online_retail.duckdb

lint: $(BIN)/activate
	$(BIN)/ruff check scripts tests/python
	$(BIN)/ruff format --check scripts tests/python
	$(BIN)/python scripts/lint_sql.py

test: lint
	$(BIN)/pytest

docs: $(BIN)/activate
	CBS_DATA_DIR=$(DEMO_DIR) CBS_DUCKDB_PATH=$(DEMO_DB) $(DBT) docs generate

clean:
	rm -rf target logs data *.duckdb *.duckdb.wal
