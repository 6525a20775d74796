# The front door: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-unit browser chromium lint typecheck bench airflow clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[airflow,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/optout demo

test: $(STAMP) chromium
	$(BIN)/python -m pytest -q tests

# The console's browser tests alone (Playwright driving Debian's Chromium; screenshots land
# in test-artifacts/screenshots/).
browser: $(STAMP) chromium
	$(BIN)/python -m pytest -q tests/browser

# Playwright cannot download browsers here: the browser tests drive Debian's Chromium.
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "make: $(CHROMIUM) is missing and the browser tests need it; as root: apt-get install -y chromium" >&2; exit 1; fi; }

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m unit tests

# ruff, then mypy (typecheck), then the import contracts in pyproject.toml ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check pipeline dags plugins tests benchmarks
	$(BIN)/ruff check --select AIR3 dags
	$(MAKE) --no-print-directory typecheck
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy pipeline

# Local Airflow (docs/airflow.md): standalone (api-server, scheduler, dag-processor,
# triggerer) on a SQLite metadata DB under ./airflow_home, this project's DAGs and plugins
# (the console link, shown when OPTOUT_CONSOLE_URL is set), no examples, executor parallelism
# sized to the cores; the environment is deploy/airflow-env.sh (benchmarks/airflow_night.py uses it too).
AIRFLOW_PORT ?= 8080
airflow: $(STAMP)
	mkdir -p airflow_home data/landing
	AIRFLOW_PORT=$(AIRFLOW_PORT) deploy/airflow-env.sh deploy/airflow-setup.sh
	AIRFLOW_PORT=$(AIRFLOW_PORT) deploy/airflow-env.sh airflow standalone

# SPEC §9 figures as JSON (docs/benchmarks.md). Smaller runs: make bench BENCH_ROWS=1000000
# BENCH_SUPPRESSIONS=200000; also BENCH_SAMPLE, BENCH_DIFF_ROWS, BENCH_HTTP_REQUESTS, BENCH_REPEAT.
# The last two lines run a seed night and a click through a real scheduler (~45 s and ~100 s;
# BENCH_AIRFLOW=0 skips them).
BENCH_ROWS ?= 10000000
BENCH_SUPPRESSIONS ?= 2000000
BENCH_IMPORT_ROWS ?= 1000000
BENCH_RUN_RECORDS ?= 100000
bench: $(STAMP)
	BENCH_ROWS=$(BENCH_ROWS) BENCH_SUPPRESSIONS=$(BENCH_SUPPRESSIONS) $(BIN)/python -m benchmarks.run
	BENCH_IMPORT_ROWS=$(BENCH_IMPORT_ROWS) $(BIN)/python -m benchmarks.bench_import
	$(BIN)/python -m benchmarks.bench_publish --suppressions $(BENCH_SUPPRESSIONS)
	# Nightly ingest: the mixed night and the postal_mail night, one process, one machine load.
	$(BIN)/python -m benchmarks.bench_run --records $(BENCH_RUN_RECORDS) --night both
	if [ "$(BENCH_AIRFLOW)" != 0 ]; then $(BIN)/python -m benchmarks.airflow_night; fi
	# Click to enforced: a one-click unsubscribe through optout serve's trigger and optout_intraday.
	if [ "$(BENCH_AIRFLOW)" != 0 ]; then $(BIN)/python -m benchmarks.click_latency; fi

clean:
	rm -rf $(VENV) demo data .pytest_cache test-artifacts
