# Quick start: `make run` and `make test` set themselves up on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: run test bench lint qa-report clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

run: $(STAMP)
	@$(BIN)/python -m bot start

test: $(STAMP)
	@$(BIN)/python -m pytest -q

bench: $(STAMP)
	@$(BIN)/python -m tests.bench

lint: $(STAMP)
	@$(BIN)/ruff check bot handlers domain store services tests

qa-report: $(STAMP)
	@$(BIN)/python -m tests.qa_report

clean:
	rm -rf $(VENV) var .pytest_cache
