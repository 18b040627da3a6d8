# Gazette — developer commands. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint typecheck format bench browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip wheel setuptools
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## run: set up and run the demo (local publisher → ingest over HTTP → site at http://127.0.0.1:8000)
run: install
	$(BIN)/gazette demo

## browser: Debian's Chromium for the browser tests (skipped with a notice when it cannot be installed)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian chromium for browser tests"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || (apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null 2>&1)) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }

## test: set up and run the whole test suite (SQLite, PostgreSQL on 127.0.0.1:5432, local HTTP, Chromium), in
## TEST_WORKERS processes (pytest-xdist; a test file's tests stay in one process, so module fixtures are made once)
TEST_WORKERS ?= 2
test: install browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install
	$(BIN)/python -m pytest -m "not browser and not slow"

lint: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: install
	$(BIN)/mypy src

format: install
	$(BIN)/ruff format src tests bench scripts
	$(BIN)/ruff check --fix src tests bench scripts

## bench: every benchmark at its quick size through bench/run.py, then one summary table (see bench/README.md)
bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info gazette-demo.db* tests/artifacts
