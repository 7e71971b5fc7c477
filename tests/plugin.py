"""Loaded with `-p tests.plugin` (pyproject addopts) before pytest-django reads the settings: starts the
embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set."""

import os

from schoolbook.devstack import ensure_services

_started = ensure_services()
if "REDIS_URL" in _started:
    # Own Redis databases for tests: 1 for cache and rate limits (flushed per test), 2 for the broker,
    # so a `make run` on the same machine keeps its data and queues.
    _base = _started["REDIS_URL"].rsplit("/", 1)[0]
    os.environ["REDIS_URL"] = f"{_base}/1"
    os.environ["CELERY_BROKER_URL"] = f"{_base}/2"
