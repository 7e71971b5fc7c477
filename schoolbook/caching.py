"""Caches shared by every schema: lookups asked on every request (which school, is this user staff here),
kept in Redis for all processes and for a few seconds in each process, and the one way to invalidate them.

Another process sees a change within LOCAL_SECONDS (e.g. a suspension); the process that made it, at once."""

import time

from django.core.cache import caches
from django.db import transaction

LOCAL_SECONDS = 5.0
LOCAL_MAX_ENTRIES = 10_000
_MISSING = "missing"  # cached "no such row": Redis cannot tell a stored None from a miss
_local: dict[str, tuple[float, object]] = {}


def platform_cache():
    # Not tenant-prefixed: the same key must be found from the public schema and from any school.
    return caches["platform"]


def cached_lookup(key: str, load, seconds: int):
    """load() → a value or None; the answer, None included, is cached under `key`."""
    now = time.monotonic()
    local = _local.get(key)
    if local is not None and local[0] > now:
        value = local[1]
    else:
        value = platform_cache().get(key)
        if value is None:
            loaded = load()
            value = _MISSING if loaded is None else loaded
            platform_cache().set(key, value, seconds)
        if len(_local) >= LOCAL_MAX_ENTRIES:
            _local.clear()
        _local[key] = (now + LOCAL_SECONDS, value)
    return None if value == _MISSING else value


def forget(key: str) -> None:
    _local.pop(key, None)
    platform_cache().delete(key)


def forget_local() -> None:
    """Tests: what one test cached in this process must not reach the next one."""
    _local.clear()


def forget_now_and_on_commit(key: str) -> None:
    """Forget now and again after commit: a request that read the old row between the two must not leave
    it cached."""
    forget(key)
    transaction.on_commit(lambda: forget(key))
