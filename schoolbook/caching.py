"""Caches shared by every schema, and the one way to invalidate them."""

from django.core.cache import caches
from django.db import transaction


def platform_cache():
    # Not tenant-prefixed: the same key must be found from the public schema and from any school.
    return caches["platform"]


def forget_now_and_on_commit(forget) -> None:
    """Run `forget()` now and again after commit: a request that read the old row between the two must not
    leave it cached."""
    forget()
    transaction.on_commit(forget)
