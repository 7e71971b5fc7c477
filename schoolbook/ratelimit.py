"""Fixed-window counters and cooldowns in Redis, shared by every web process."""

import functools

import redis
from django.conf import settings


@functools.cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def hit(key: str, window_seconds: int) -> int:
    """Count one event in the window that starts with the first event; returns the count so far."""
    pipe = redis_client().pipeline()
    pipe.set(key, 0, ex=window_seconds, nx=True)  # SET NX EX, not EXPIRE NX: the embedded Redis is 6.2
    pipe.incr(key)
    _, count = pipe.execute()
    return count


def count(key: str) -> int:
    return int(redis_client().get(key) or 0)


def seconds_left(key: str) -> int:
    return max(redis_client().ttl(key), 0)


def start_cooldown(key: str, seconds: int) -> bool:
    """True if no cooldown was running (and one now is)."""
    if seconds <= 0:
        return True
    return bool(redis_client().set(key, 1, ex=seconds, nx=True))


def clear(*keys: str) -> None:
    redis_client().delete(*keys)
