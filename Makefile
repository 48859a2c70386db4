# Two commands: `make run` serves the portal with demo data; `make test` passes the suite.
# Both set everything up on a fresh machine (virtualenv, packages, migrations, and for the
# tests Debian's postgresql, redis-server, chromium and npm when they are missing). `make run`
# installs the runtime requirements; the tests and tools add requirements-dev.txt.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app.py

.PHONY: run test test-sqlite test-postgres install install-dev production-venv test-tools \
	system-deps lint format bench bench-deps clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# requirements.txt alone, as production installs it: tests/deploy runs the Procfile from it.
PRODUCTION_VENV := $(CURDIR)/.venv-production
production-venv:
	PYTHON=$(PYTHON) scripts/production-venv $(PRODUCTION_VENV)

# Browser-side test tools (axe-core), pinned in package-lock.json; `npm ci` installs exactly it.
node_modules/.package-lock.json: package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

test-tools: node_modules/.package-lock.json

# The development server and a worker beside it (emails, jobs), stopped together by Ctrl-C.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo --if-empty
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/run-dev

system-deps:
	scripts/ensure-system-deps

test: install-dev system-deps test-tools production-venv test-sqlite test-postgres

test-sqlite: install-dev test-tools production-venv
	@echo "== test suite on SQLite =="
	DEPLOY_VENV=$(PRODUCTION_VENV) $(BIN)/pytest

test-postgres: install-dev test-tools production-venv
	@echo "== test suite on PostgreSQL =="
	DEPLOY_VENV=$(PRODUCTION_VENV) scripts/with-postgres $(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .venv-production node_modules .pytest_cache .ruff_cache

# Scale benchmarks (BENCHMARKS.md): generate the dataset and run every scenario on SQLite,
# then on a throwaway PostgreSQL; print both in one table. BENCH_SCALE=small for a quick run.
# Installs Debian's wrk (the load tool) and postgresql when they are missing.
BENCH_SCALE ?= full
BENCH_RUN = $(BIN)/python -m benchmarks.run --scale $(BENCH_SCALE)
BENCH_GENERATE = $(BIN)/python -m benchmarks.generate --scale $(BENCH_SCALE)

bench-deps:
	scripts/ensure-system-deps bench

bench: install-dev bench-deps
	$(BENCH_GENERATE) --database-url sqlite:///$(CURDIR)/.bench/bench-$(BENCH_SCALE).db
	$(BENCH_RUN) --database-url sqlite:///$(CURDIR)/.bench/bench-$(BENCH_SCALE).db
	scripts/with-postgres sh -c '$(BENCH_GENERATE) --database-url "$$DATABASE_URL" && \
		$(BENCH_RUN) --database-url "$$DATABASE_URL"'
	$(BIN)/python -m benchmarks.report --scale $(BENCH_SCALE)
