"""The per-gateway token bucket against the real Redis (the slot's database, flushed before each test)."""

import multiprocessing
import time

import pytest

from messaging.gateways.ratelimit import TokenBucket
from schoolbook.ratelimit import redis_client


def test_a_burst_is_allowed_then_refused_with_the_wait():
    bucket = TokenBucket("esms", rate_per_second=2, burst=5)
    assert [bucket.take() for _ in range(5)] == [0.0] * 5
    wait = bucket.take()
    assert 0.45 < wait <= 0.5  # one token comes back every 0.5 s
    assert 1.45 < bucket.take(3) <= 1.5  # three tokens: 1.5 s from empty
    assert 0.45 < bucket.take() <= 0.5  # refusals took nothing


def test_tokens_refill_over_time_but_never_beyond_the_burst():
    bucket = TokenBucket("speedsms", rate_per_second=20, burst=3)
    assert [bucket.take() for _ in range(3)] == [0.0] * 3
    wait = bucket.take()
    assert 0 < wait <= 0.05
    time.sleep(wait)
    assert bucket.take() == 0.0
    time.sleep(0.3)  # 6 tokens' worth of time, but the bucket holds 3
    assert [bucket.take() for _ in range(4)][:3] == [0.0] * 3
    assert bucket.take() > 0


def test_buckets_are_per_gateway_and_idle_ones_expire():
    esms = TokenBucket("esms", rate_per_second=1, burst=1)
    assert esms.take() == 0.0
    assert TokenBucket("speedsms", rate_per_second=1, burst=1).take() == 0.0
    assert esms.take() > 0
    # an idle bucket expires once it would be full again, so Redis keeps no key per idle gateway
    assert 1000 < redis_client().pttl("tokenbucket:esms") <= 2000


@pytest.mark.parametrize(("rate", "burst", "n"), [(0, 1, 1), (1, 0, 1), (1, 2, 3), (1, 2, 0)])
def test_impossible_requests_are_refused(rate, burst, n):
    with pytest.raises(ValueError):
        TokenBucket("esms", rate_per_second=rate, burst=burst).take(n)


RATE, BURST, RUN_SECONDS = 100, 10, 0.6


def _hammer(start, results):
    """In another process: take as fast as allowed for RUN_SECONDS; report the successes and their window."""
    bucket = TokenBucket("shared", rate_per_second=RATE, burst=BURST)
    start.wait()
    taken, first, last = 0, time.monotonic(), None
    while time.monotonic() - first < RUN_SECONDS:
        wait = bucket.take()
        if wait:
            time.sleep(min(wait, 0.002))  # ask again soon, to race the other process for each token
        else:
            taken += 1
        last = time.monotonic()  # after the reply: every granted take happened before this
    results.put((taken, first, last))


def test_two_processes_never_exceed_burst_plus_rate_times_elapsed():
    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no Redis socket shared by a fork
    start, results = spawn.Barrier(2), spawn.Queue()
    workers = [spawn.Process(target=_hammer, args=(start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    reports = [results.get(timeout=10) for _ in workers]
    for worker in workers:
        worker.join(timeout=5)
        assert worker.exitcode == 0
    total = sum(taken for taken, _, _ in reports)
    # CLOCK_MONOTONIC is one clock for the whole machine, so the two processes' times compare
    elapsed = max(last for _, _, last in reports) - min(first for _, first, _ in reports)
    allowed = BURST + RATE * elapsed
    measured = f"{total} taken, at most {allowed:.1f} allowed in {elapsed:.3f} s"
    assert total <= allowed, measured
    # The burst was granted. How many more tokens the two got depends on how often a busy machine let them
    # ask, so that refusals take nothing and a token is there after the wait given is shown one process at a
    # time (the tests above), not by this count.
    assert total >= BURST, measured
    assert all(taken > 0 for taken, _, _ in reports)  # both really took from the one bucket
