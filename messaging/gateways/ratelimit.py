"""A token bucket per gateway in Redis, shared by every Celery worker (ARCHITECTURE.md, "Messaging pipeline").

Providers throttle or ban a sender that exceeds its agreed rate, and one worker cannot know what the others
send, so the bucket lives in Redis and is updated by one Lua script: read, refill and take happen atomically,
with no lock and one round trip. The script reads the clock with Redis TIME, so workers on hosts whose clocks
disagree still share one timeline (Redis 6.2 replicates such scripts by their effects).

A refused `take` consumes nothing and reserves nothing: the caller waits (a Celery retry with that countdown)
and asks again, so waits are advice under contention, but the rate itself is never exceeded.

A provider's limit is per account (SpeedSMS: 60 requests per 60 s per API token), and a school may bring its
own account: `messaging.gateways.base.account_bucket_name` keys a bucket by gateway and an HMAC of the
account's identifying option, so each account has its own bucket and no credential reaches Redis. When the
provider says we went too fast anyway (another deployment sharing the account, a clock), `hold` empties the
bucket until the time the provider named, so that every worker waits, not only the one that was told.
"""

import functools

from redis.commands.core import Script

from schoolbook.ratelimit import redis_client

# KEYS[1] bucket; ARGV rate per second, burst, tokens wanted. A missing key is a full bucket. Numbers are
# written with explicit formats: Redis would turn a Lua number into a string with 14 digits, losing the
# microseconds of a timestamp. The wait is returned as a string: Redis truncates a Lua number reply to an
# integer.
_TAKE = """
redis.replicate_commands()
local rate, burst, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then
    tokens, at = burst, now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= wanted then
    tokens = tokens - wanted
else
    wait = (wanted - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return string.format('%.6f', wait)
"""


# KEYS[1] bucket; ARGV rate per second, seconds to hold. Leaves the bucket short of one token for exactly that
# long, so the next `take` is refused until then.
_HOLD = """
redis.replicate_commands()
local rate, seconds = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens = 1 - rate * seconds
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(seconds * 1000) + 60000)
return 1
"""


@functools.cache
def _take_script() -> Script:
    return redis_client().register_script(_TAKE)  # EVALSHA, loading the script again after a Redis restart


@functools.cache
def _hold_script() -> Script:
    return redis_client().register_script(_HOLD)


class TokenBucket:
    """Allows `burst` sends at once and `rate_per_second` on average, across all processes using `name`."""

    def __init__(self, name: str, rate_per_second: float, burst: int):
        if rate_per_second <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.key = f"tokenbucket:{name}"
        self.rate = float(rate_per_second)
        self.burst = burst

    def take(self, n: int = 1) -> float:
        """Take `n` tokens: 0.0 when allowed, else the seconds until `n` will be there (nothing is taken)."""
        if not 1 <= n <= self.burst:
            raise ValueError(f"can take 1 to {self.burst} tokens at once, not {n}")  # more would wait forever
        return float(_take_script()(keys=[self.key], args=[repr(self.rate), self.burst, n]))

    def hold(self, seconds: float) -> None:
        """Refuse every `take` for the next `seconds` (the provider said so), then refill as usual."""
        _hold_script()(keys=[self.key], args=[repr(self.rate), repr(max(0.0, float(seconds)))])
