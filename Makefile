# The front door: `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install demo test test-unit lint typecheck bench airflow clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[airflow,dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/optout demo

test: $(STAMP)
	$(BIN)/python -m pytest -q tests

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q -m unit tests

lint: $(STAMP)
	$(BIN)/ruff check pipeline dags tests
	$(BIN)/ruff check --select AIR3 dags

typecheck: $(STAMP)
	$(BIN)/mypy pipeline

# SPEC §9 figures as JSON (docs/benchmarks.md). Smaller runs: make bench BENCH_ROWS=1000000
# BENCH_SUPPRESSIONS=200000; also BENCH_SAMPLE, BENCH_DIFF_ROWS, BENCH_HTTP_REQUESTS.
BENCH_ROWS ?= 10000000
BENCH_SUPPRESSIONS ?= 2000000
bench: $(STAMP)
	BENCH_ROWS=$(BENCH_ROWS) BENCH_SUPPRESSIONS=$(BENCH_SUPPRESSIONS) $(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) demo data .pytest_cache
