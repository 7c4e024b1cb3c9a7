# Quick start: `make run` and `make test` set themselves up on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test test-postgres bench lint qa-report clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot start

# The tests run on every core (pytest-xdist), a test module's tests in one worker (module- and
# session-wide fixtures made once per worker). TEST_WORKERS=0 runs them all in this process.
TEST_WORKERS ?= auto
TEST_PARALLEL = -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP)
	@$(BIN)/python -m pytest -q $(TEST_PARALLEL)

# The tests that use a database, again on a throwaway PostgreSQL server (tests/support/
# postgres.py starts it in a temporary folder and stops it; Debian: apt-get install postgresql).
# Against a server of your own instead: TEST_DATABASE_URL=postgresql://user@host/db make test
test-postgres: $(STAMP)
	@$(BIN)/python -m tests.support.postgres -- $(BIN)/python -m pytest -q -m database \
		$(TEST_PARALLEL)

bench: $(STAMP)
	@$(BIN)/python -m tests.bench

lint: $(STAMP)
	@$(BIN)/ruff check bot handlers domain store services tests

qa-report: $(STAMP)
	@$(BIN)/python -m tests.qa_report

clean:
	rm -rf $(VENV) var .pytest_cache
