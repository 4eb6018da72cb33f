# runyard: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNVENV := .venv-run
TS     := clients/typescript

# pytest worker processes (pytest-xdist): two, one per core of the machine the
# suite is budgeted on; PYTEST_WORKERS=0 runs it serially in one process.
# worksteal: an idle worker takes queued tests from a busy one, so a few slow
# tests late in one worker's share do not leave the other core idle.
PYTEST_WORKERS ?= 2
PYTEST_XDIST = -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: help dev gen check-gen lint chromium test test-sqlite test-postgres test-typescript run bench bench-smoke clean

help:
	@echo "make run          install runyard in $(RUNVENV) and serve the demo (gRPC :50051, HTTP :8080)"
	@echo "make test         lint, check generated code, run the suite on SQLite and PostgreSQL"
	@echo "                  in two pytest processes (PYTEST_WORKERS=0: serially)"
	@echo "make gen          regenerate code from protos/"
	@echo "make test-typescript  the TypeScript client's tests against a real server"
	@echo "make bench        benchmarks (not part of test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# _jsonwire.c: the gateway's optional compiled JSON printer, rebuilt by the editable install.
$(VENV)/.dev-installed: pyproject.toml setup.py $(wildcard src/runyard/gateway/_jsonwire*.[ch]) | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

dev: $(VENV)/.dev-installed

# The TypeScript generator and client libraries, exactly as package-lock.json pins them.
$(TS)/node_modules/.installed: $(TS)/package-lock.json
	cd $(TS) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

gen: dev $(TS)/node_modules/.installed
	PYTHON=$(BIN)/python BUF=$(BIN)/buf scripts/gen.sh

GENERATED := src/runyard/v1 src/runyard/gen tests/gen $(TS)/src/gen
# Fails when the committed generated code differs from what protos/ produce.
check-gen: gen
	@test -z "$$(git status --porcelain -- $(GENERATED))" || \
	  { git status --porcelain -- $(GENERATED); echo "generated code is stale: run make gen and commit"; exit 1; }

lint: dev
	$(BIN)/buf lint
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Debian's chromium and chromium-driver for the dashboard's browser tests (apt, as root).
chromium:
	scripts/chromium.sh >/dev/null

test: lint check-gen chromium
	scripts/with-postgres.sh $(BIN)/python -m pytest -q $(PYTEST_XDIST)
	$(MAKE) --no-print-directory test-typescript

# The TypeScript client (clients/typescript) type-checked, built and run with
# node --test against a runyard server that the tests start and stop by PID.
test-typescript: dev $(TS)/node_modules/.installed
	cd $(TS) && RUNYARD_PYTHON=$(CURDIR)/$(BIN)/python npm test --silent

# The whole suite on SQLite and on a throw-away PostgreSQL (no lint);
# extra pytest arguments in ARGS, e.g. make test-postgres ARGS='-k runs'.
test-postgres: dev chromium
	scripts/with-postgres.sh $(BIN)/python -m pytest -q $(PYTEST_XDIST) $(ARGS)

# Benchmarks (not part of test): 1,000,000 runs, one table to stdout and
# bench/out/results.json. bench-smoke runs every benchmark at tiny size (< 1 min);
# tests/test_bench_smoke.py runs it inside make test.
bench: dev
	$(BIN)/python -m bench.run
	scripts/with-postgres.sh $(BIN)/python -m bench.live_bench

bench-smoke: dev
	$(BIN)/python -m bench.run --smoke

run:
	test -x $(RUNVENV)/bin/python || $(PYTHON) -m venv $(RUNVENV)
	$(RUNVENV)/bin/pip install -q --upgrade pip
	$(RUNVENV)/bin/pip install -q .
	$(RUNVENV)/bin/runyard serve --demo

clean:
	rm -rf $(VENV) $(RUNVENV) build *.egg-info src/*.egg-info $(TS)/node_modules $(TS)/dist
