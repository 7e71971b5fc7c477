# Schoolbook. `make run` and `make test` need only Python 3.11 (or 3.12) and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-smoke install chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m schoolbook.devstack run

# The browser tests drive Debian's chromium (never `playwright install`): installed here when missing.
chromium:
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium at /usr/bin/chromium: run 'sudo apt-get install chromium'" >&2; \
	    exit 1; \
	  fi; }

test: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/onboarding.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/roster.py
	$(BIN)/python bench/gradebook.py
	$(BIN)/python bench/fanout.py
	$(BIN)/python bench/attendance.py
	$(BIN)/python bench/parent_home.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/portal.py

# Every bench at a tiny size, so that a bench which stops working fails CI (minutes, not a measurement).
bench-smoke: $(STAMP)
	$(BIN)/python bench/onboarding.py --schools 3
	$(BIN)/python bench/routing.py --rounds 1 --seconds 0.2
	$(BIN)/python bench/roster.py --students 200 --queries 20 --import-students 200
	$(BIN)/python bench/gradebook.py --students 225 --classes 5 --runs 3
	$(BIN)/python bench/fanout.py --schools 2 --guardians 100 --first 200
	$(BIN)/python bench/attendance.py --students 100 --batch 50 --runs 3
	$(BIN)/python bench/parent_home.py --schools 1 --students 100 --runs 5
	$(BIN)/python bench/payments.py --students 100 --transactions 300 --singles 20 --webhooks 20
	$(BIN)/python bench/portal.py --users 5 --seconds 3 --students 40 --notices 5 --cpu-requests 3

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
