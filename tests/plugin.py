"""Loaded with `-p tests.plugin` (pyproject addopts) before pytest-django reads the settings: starts the
embedded PostgreSQL and Redis unless DATABASE_URL / REDIS_URL are set."""

import os

from schoolbook.devstack import ensure_services

ensure_services()
# Tests use their own Redis databases, embedded or external: 1 for cache and rate limits (flushed before
# every test), 2 for the Celery broker, so a running `make run` keeps its data and queues in database 0.
_base = os.environ["REDIS_URL"].split("?", 1)[0].rstrip("/")
_base = _base.rsplit("/", 1)[0] if _base.rsplit("/", 1)[-1].isdigit() else _base
os.environ["REDIS_URL"] = f"{_base}/1"
os.environ["CELERY_BROKER_URL"] = f"{_base}/2"
