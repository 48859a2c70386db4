# Two commands: `make run` serves the portal with demo data; `make test` passes the suite.
# Both set everything up on a fresh machine (virtualenv, packages, migrations, and for the
# tests Debian's postgresql and chromium when they are missing).

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app.py

.PHONY: run test test-sqlite test-postgres install test-tools system-deps lint format bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

# Browser-side test tools (axe-core), pinned in package-lock.json; `npm ci` installs exactly it.
node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

test-tools: node_modules/.package-lock.json

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	@echo "SyncPortal on http://$(HOST):$(PORT)  (portal: /portal/, ops: /ops/)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

system-deps:
	scripts/ensure-system-deps

test: install system-deps test-tools test-sqlite test-postgres

test-sqlite: install test-tools
	@echo "== test suite on SQLite =="
	$(BIN)/pytest

test-postgres: install test-tools
	@echo "== test suite on PostgreSQL =="
	scripts/with-postgres $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache

# Scale benchmarks (BENCHMARKS.md): generate the dataset and run every scenario on SQLite,
# then on a throwaway PostgreSQL; print both in one table. BENCH_SCALE=small for a quick run.
BENCH_SCALE ?= full
BENCH_RUN = $(BIN)/python -m benchmarks.run --scale $(BENCH_SCALE)
BENCH_GENERATE = $(BIN)/python -m benchmarks.generate --scale $(BENCH_SCALE)

bench: install
	@command -v wrk >/dev/null || echo "bench: wrk not found, using the Python load generator"
	$(BENCH_GENERATE) --database-url sqlite:///$(CURDIR)/.bench/bench-$(BENCH_SCALE).db
	$(BENCH_RUN) --database-url sqlite:///$(CURDIR)/.bench/bench-$(BENCH_SCALE).db
	scripts/with-postgres sh -c '$(BENCH_GENERATE) --database-url "$$DATABASE_URL" && \
		$(BENCH_RUN) --database-url "$$DATABASE_URL"'
	$(BIN)/python -m benchmarks.report --scale $(BENCH_SCALE)
