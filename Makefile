# Schoolbook. `make run` and `make test` need only Python 3.11 (or 3.12) and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench bench-smoke install test-packages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m schoolbook.devstack run

# Debian packages the suite runs: chromium for the browser tests (never `playwright install`) and PgBouncer
# for the scale-out tests; installed here when missing.
TEST_PACKAGES := chromium=/usr/bin/chromium pgbouncer=/usr/sbin/pgbouncer
test-packages:
	@missing=""; for pair in $(TEST_PACKAGES); do test -x "$${pair#*=}" || missing="$$missing $${pair%%=*}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's$$missing for the test suite (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "The test suite needs Debian's$$missing: run 'sudo apt-get install$$missing'" >&2; \
	    exit 1; \
	  fi; \
	fi

test: $(STAMP) test-packages
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
	$(BIN)/python bench/deploy.py
	$(BIN)/python bench/pooling.py
	$(BIN)/python bench/operations.py
	$(BIN)/python bench/portal.py
	$(BIN)/python bench/portal_profile.py
	$(BIN)/python bench/links.py
	$(BIN)/python bench/district.py
	$(BIN)/python bench/conversation.py

# Every bench at a tiny size, so that a bench which stops working fails CI (minutes, not a measurement).
bench-smoke: $(STAMP)
	$(BIN)/python bench/onboarding.py --singles 2 --csv 5
	$(BIN)/python bench/routing.py --rounds 1 --seconds 0.2
	$(BIN)/python bench/roster.py --students 200 --queries 20 --import-students 200
	$(BIN)/python bench/gradebook.py --students 225 --classes 5 --runs 3
	$(BIN)/python bench/fanout.py --schools 2 --guardians 100 --first 200
	$(BIN)/python bench/attendance.py --students 100 --batch 50 --runs 3
	$(BIN)/python bench/parent_home.py --schools 1 --students 100 --runs 5
	$(BIN)/python bench/payments.py --students 100 --transactions 300 --singles 20 --webhooks 20
	$(BIN)/python bench/deploy.py --schools 3 --runs 1 --jobs 2
	$(BIN)/python bench/pooling.py --rounds 5
	$(BIN)/python bench/operations.py --students 100 --requests 200
	$(BIN)/python bench/portal.py --users 5 --seconds 3 --students 40 --notices 5 --cpu-requests 3
	$(BIN)/python bench/portal_profile.py --students 40 --notices 5 --requests 5
	$(BIN)/python bench/links.py --students 100 --batch 50
	$(BIN)/python bench/district.py --schools 3 --rostered 1 --students 90 --jobs 1,2 --runs 3
	$(BIN)/python bench/conversation.py --runs 3

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
