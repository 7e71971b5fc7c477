# Schoolbook. `make run` and `make test` need only Python 3.11 (or 3.12) and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m schoolbook.devstack run

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache staticfiles
