# The two commands a new user needs, and the ones behind them.
#   make demo   generate demo data, build and test every model, publish the BI file, print a summary
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
# What BI tools read: written only after a build whose every test passed.
PUBLISHED_DB ?= published/cbs.duckdb
RESTRICTED_DB ?= published/cbs_restricted.duckdb
PUBLISH := $(BIN)/python scripts/publish.py --database $(DEMO_DB) \
	--published $(PUBLISHED_DB) --restricted $(RESTRICTED_DB)
CDNOW_SOURCE ?= ../shared/data/cdnow/CDNOW_master.txt
ONLINE_RETAIL_SOURCE ?= ../shared/data/online_retail/online_retail_sample_first8000.csv

.PHONY: demo test lint cdnow online-retail docs clean

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(BIN)/activate

# The generator writes the demo data anew (ending yesterday), so the demo
# build is a full refresh: an incremental run needs files appended to.
demo: $(BIN)/activate
	$(BIN)/python scripts/generate_data.py --size $(DEMO_SIZE) --out $(DEMO_DIR)
	CBS_DATA_DIR=$(DEMO_DIR) $(PUBLISH) -- --full-refresh
	$(BIN)/python scripts/summarise_build.py --database $(DEMO_DB)

# dbt build into $(DEMO_DB) under a lock (a second build fails at once), then,
# only if every model and test passed, swap the marts into $(PUBLISHED_DB) by
# an atomic rename (restricted marts into $(RESTRICTED_DB)); BI reads only those.
.PHONY: publish
publish: $(BIN)/activate
	CBS_DATA_DIR=$(DEMO_DIR) $(PUBLISH)

# One self-contained HTML report (charts, no network) of the published file;
# BACKTEST_JSON=path adds the lift of a scripts/backtest.py --json run.
REPORT ?= reports/cbs_report.html
BACKTEST_JSON ?=
.PHONY: report
report: $(BIN)/activate
	$(BIN)/python scripts/report.py --database $(PUBLISHED_DB) --out $(REPORT) \
		$(if $(BACKTEST_JSON),--backtest-json $(BACKTEST_JSON))

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

# CDNOW backtest: scores as of 1997-09-30 against the next six months, weights
# learned on 1997-03-31 and judged on later dates; every figure of docs/backtest.md.
BACKTEST_DIR ?= data/backtest_cdnow
BACKTEST_COMMON := --currency USD --horizon-days 182
LEARN_COMMON := --data-dir $(BACKTEST_DIR)/raw --database $(BACKTEST_DIR)/cdnow_history.duckdb \
	--train-dates 1997-03-31 --test-dates 1997-09-30,1997-12-31 --profile balanced \
	--profile-name learned --seed 42 $(BACKTEST_COMMON)
.PHONY: backtest-cdnow
backtest-cdnow: $(BIN)/activate
	$(BIN)/python scripts/import_cdnow.py --source $(CDNOW_SOURCE) --out $(BACKTEST_DIR)/raw
	$(BIN)/python scripts/backtest.py --data-dir $(BACKTEST_DIR)/raw --database $(BACKTEST_DIR)/cdnow.duckdb --as-of 1997-09-30 --profile balanced $(BACKTEST_COMMON) --json $(BACKTEST_DIR)/backtest_balanced.json
	$(BIN)/python scripts/learn_weights.py $(LEARN_COMMON) --out $(BACKTEST_DIR)/learned_weights.csv --json $(BACKTEST_DIR)/learn_weights.json
	$(BIN)/python scripts/backtest.py --data-dir $(BACKTEST_DIR)/raw --database $(BACKTEST_DIR)/cdnow_learned.duckdb --as-of 1997-09-30 --profile learned --weights $(BACKTEST_DIR)/learned_weights.csv $(BACKTEST_COMMON) --json $(BACKTEST_DIR)/backtest_learned.json
	$(BIN)/python scripts/learn_weights.py $(LEARN_COMMON) --l2 0 --bootstrap 0 --json $(BACKTEST_DIR)/learn_weights_l2_0.json
	$(BIN)/python scripts/learn_weights.py $(LEARN_COMMON) --l2 0.01 --bootstrap 0 --json $(BACKTEST_DIR)/learn_weights_l2_0.01.json

# Benchmark: dbt run, dbt build, an incremental run after 1% new events, the
# hand-written DuckDB floor and a pandas version on one generated data set,
# with times, peak memory, ratios and a check that the scores agree
# (docs/benchmark.md). About 14 event rows a customer: BENCH_CUSTOMERS=700000 makes
# about 10M, 7000000 about 100M.
BENCH_CUSTOMERS ?= 100000
BENCH_DIR ?= data/benchmark
BENCH_MEMORY_LIMIT ?= 8GB
.PHONY: benchmark
benchmark: $(BIN)/activate
	$(BIN)/python scripts/benchmark.py --customers $(BENCH_CUSTOMERS) --work-dir $(BENCH_DIR) --memory-limit $(BENCH_MEMORY_LIMIT)

lint: $(BIN)/activate
	$(BIN)/ruff check scripts tests/python
	$(BIN)/ruff format --check scripts tests/python
	$(BIN)/python scripts/lint_sql.py

test: lint
	$(BIN)/pytest

# The Spark path (docs/spark.md): dbt-spark and pyspark into the same .venv,
# then tests/python/test_spark.py: dbt build --target spark (local mode) on
# tiny generated data with every test, compared with DuckDB row by row.
.PHONY: spark-test
spark-test: $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-spark.txt
	CBS_SPARK=1 $(BIN)/pytest -q -m spark tests/python/test_spark.py

docs: $(BIN)/activate
	CBS_DATA_DIR=$(DEMO_DIR) CBS_DUCKDB_PATH=$(DEMO_DB) $(DBT) docs generate

clean:
	rm -rf target logs data published reports *.duckdb *.duckdb.wal *.duckdb.lock
