# Quick start: `make run` and `make test` set themselves up on first use.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The chart's and the dossier PDF's CJK font (the CJK_FONT setting; .env.example): WenQuanYi
# Micro Hei (Apache-2.0 or GPL-3 with the font exception), a TrueType font reportlab can embed.
CJK_FONT ?= /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: run test test-postgres test-deploy bench lint qa-report clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev,postgres]'
	@touch $(STAMP)

$(CJK_FONT):
	@if [ "$$(id -u)" != 0 ]; then echo "The CJK font $(CJK_FONT) is missing: run" \
		"'sudo apt-get install fonts-wqy-microhei', or set CJK_FONT to a TrueType CJK font."; \
		exit 1; fi
	@echo "installing the CJK font $(CJK_FONT) (Debian: fonts-wqy-microhei)"
	@apt-get update -qq
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		fonts-wqy-microhei >/dev/null

# The web desk's browser tests (tests/browser/) drive Debian's chromium through its
# chromium-driver (Selenium Manager downloads nothing); without them those tests are skipped.
CHROMEDRIVER ?= /usr/bin/chromedriver

$(CHROMEDRIVER):
	@echo "installing chromium and chromium-driver for the web desk's browser tests (Debian)"
	@(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends chromium chromium-driver) >/dev/null \
		|| echo "(not installed: the browser tests are skipped)"

run: $(STAMP) $(CJK_FONT)
	@$(BIN)/python -m bot start

# The tests run on every core (pytest-xdist), a test module's tests in one worker (module- and
# session-wide fixtures made once per worker). TEST_WORKERS=0 runs them all in this process.
TEST_WORKERS ?= auto
TEST_PARALLEL = -n $(TEST_WORKERS) --dist loadfile

test: $(STAMP) $(CJK_FONT) $(CHROMEDRIVER)
	@$(BIN)/python -m pytest -q $(TEST_PARALLEL)

# The tests that use a database, again on a throwaway PostgreSQL server (tests/support/
# postgres.py starts it in a temporary folder and stops it; Debian: apt-get install postgresql).
# Against a server of your own instead: TEST_DATABASE_URL=postgresql://user@host/db make test
test-postgres: $(STAMP) $(CJK_FONT)
	@$(BIN)/python -m tests.support.postgres -- $(BIN)/python -m pytest -q -m database \
		$(TEST_PARALLEL)

# docs/deploy.md followed in a temporary root: its tested blocks run as root, a fresh virtual
# environment and pip install, the bot started and chatted with through the Bot API emulator
# (tests/deploy/test_guide.py; a few minutes)
test-deploy: $(STAMP) $(CJK_FONT)
	@UNIONBOT_TEST_DEPLOY=1 $(BIN)/python -m pytest -q -m deploy tests/deploy

bench: $(STAMP) $(CJK_FONT)
	@$(BIN)/python -m tests.bench

lint: $(STAMP)
	@$(BIN)/ruff check bot handlers domain store services tests

qa-report: $(STAMP)
	@$(BIN)/python -m tests.qa_report

clean:
	rm -rf $(VENV) var .pytest_cache
