"""Loaded with `-p tests.plugin` (pyproject addopts) before pytest-django reads the settings: starts the
embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set."""

import os

from schoolbook.devstack import ensure_services

ensure_services()
# Tests use their own Redis databases, embedded or external: 1 for cache and rate limits (flushed before
# every test), 2 for the Celery broker, so a running `make run` keeps its data and queues in database 0.
_base = os.environ["REDIS_URL"].split("?", 1)[0].rstrip("/")
_base = _base.rsplit("/", 1)[0] if _base.rsplit("/", 1)[-1].isdigit() else _base
# TEST_SLOT=N (1–5) gives a parallel run its own test database and Redis databases (4+2N, 5+2N), so
# several developers or helper sessions can run tests on one machine at once.
_slot = int(os.environ.get("TEST_SLOT", "0") or 0)
if not 0 <= _slot <= 5:
    raise SystemExit("TEST_SLOT must be 0–5")
_cache_db, _broker_db = (1, 2) if _slot == 0 else (4 + 2 * _slot, 5 + 2 * _slot)
os.environ["REDIS_URL"] = f"{_base}/{_cache_db}"
os.environ["CELERY_BROKER_URL"] = f"{_base}/{_broker_db}"
