"""What every gateway that talks HTTP to its provider shares: one pooled requests session per process, the
timeout from the gateway's options, the mapping of transport failures and HTTP statuses to GatewayError,
reading a JSON reply, and sending a batch's one-request-per-message `concurrency` at a time.

Failure rules: a timeout, a refused connection, 5xx and 408 are transient (the provider may accept the
same request later); 429 means we went too fast: wait as long as the provider says (Retry-After, or
X-Rate-Limit-Reset as SpeedSMS sends it; a minute when it says nothing) and do not count it as an attempt;
any other 4xx is permanent: the request itself is wrong (credentials, number, template) and repeating it
cannot help. A timed-out request may still have been accepted: only providers with an idempotency key (eSMS
RequestId) make the retry harmless; a generic provider may then deliver twice. No request is retried here:
retries are the pipeline's (backoff, attempts counted per delivery) or a gateway's own (FCM after a 401).

Providers that take one message per request (eSMS, HTTP SMS) get a batch's requests `concurrency` at a
time (GATEWAYS[…]["concurrency"], DEFAULT_CONCURRENCY when not set): a request spends its time waiting for
the provider (tens to hundreds of milliseconds), so one at a time a worker process would send a 50-message
batch in 50 round trips. The per-gateway token bucket still caps the rate, whatever the concurrency. The
connections stay open from one batch to the next (the pipeline builds a gateway per batch), so that a
worker makes a TLS handshake per thread and provider, not per thread and batch.
"""

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from messaging.gateways.base import Gateway, GatewayError, OutgoingMessage, SendResult

TRANSIENT_STATUSES = frozenset({408})
TOO_MANY_REQUESTS = 429
DEFAULT_RETRY_AFTER = 60.0
DEFAULT_CONCURRENCY = 16
DEFAULT_TIMEOUT = 10.0  # seconds; GATEWAYS[…]["timeout"] when set


def concurrency(options: dict) -> int:
    return max(1, int(options.get("concurrency") or DEFAULT_CONCURRENCY))


_sessions: dict[tuple[int, int], requests.Session] = {}
_sessions_lock = threading.Lock()


def pooled_session(size: int) -> requests.Session:
    """This process's session for gateways sending `size` requests at a time, its keep-alive connections
    shared by their batches: up to `size` per provider (requests' default pool keeps 10 per host and opens,
    then drops, any beyond). Per process id: a forked worker must not write to its parent's sockets."""
    key = (os.getpid(), size)
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=size)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        return session


def send_each(
    batch: list[OutgoingMessage], send_one: Callable[[OutgoingMessage], str], size: int
) -> list[SendResult]:
    """One request per message, `size` at a time; one result per message in batch order. `send_one`
    returns the provider's message id or raises GatewayError. Any other exception (a bug) fails the whole
    batch once its other requests have been made: its deliveries stay claimed until the sweep recovers
    them, as when a worker dies in the middle of a batch."""

    def one(message: OutgoingMessage) -> SendResult:
        try:
            return SendResult(message.idempotency_key, provider_message_id=send_one(message))
        except GatewayError as error:
            return SendResult(message.idempotency_key, error=error)

    if size <= 1 or len(batch) <= 1:
        return [one(message) for message in batch]
    with ThreadPoolExecutor(max_workers=min(size, len(batch))) as pool:
        return list(pool.map(one, batch))


def transport_error(exc: requests.RequestException, timeout: float) -> GatewayError:
    """A request that got no HTTP answer: transient (the provider may take the same request later)."""
    if isinstance(exc, requests.Timeout):
        return GatewayError(f"no answer within {timeout:g} s", permanent=False)
    return GatewayError(f"connection failed: {exc}", permanent=False)


def status_error(response: requests.Response) -> GatewayError | None:
    """The GatewayError an HTTP error status means under the rules above; None below 400."""
    if response.status_code == TOO_MANY_REQUESTS:
        wait = retry_after_seconds(response)
        return GatewayError(f"HTTP 429: too many requests, wait {wait:g} s", retry_after=wait)
    if response.status_code >= 400:
        permanent = response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES
        return GatewayError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=permanent)
    return None


def post_json(session: requests.Session, url: str, payload, *, timeout: float, **kwargs) -> requests.Response:
    """POST JSON; transport failures become a transient GatewayError, HTTP errors per the rules above. For
    callers that are not a gateway (messaging.zalo_tokens); gateways call HttpGateway.post_json."""
    try:
        response = session.post(url, json=payload, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise transport_error(exc, timeout) from exc
    error = status_error(response)
    if error is not None:
        raise error
    return response


def retry_after_seconds(response: requests.Response) -> float:
    """How long a 429 says to wait: Retry-After or X-Rate-Limit-Reset in seconds (a value that looks like
    a Unix time is read as one), at least a second and at most an hour; a minute when neither is usable."""
    for header in ("Retry-After", "X-Rate-Limit-Reset"):
        try:
            seconds = float(response.headers.get(header) or "")
        except ValueError:
            continue
        if seconds > 1e9:
            seconds -= time.time()
        return min(max(seconds, 1.0), 3600.0)
    return DEFAULT_RETRY_AFTER


def reply_json(response: requests.Response) -> dict:
    """The reply as a dict; a garbled reply (a proxy's HTML page) is transient: the provider is not itself."""
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise GatewayError(f"unreadable reply: {response.text[:200]}", permanent=False)
    return reply


class HttpGateway(Gateway):
    """A gateway whose provider is an HTTP API. Built per batch from its options (the platform's, or a
    school's own account's), it keeps the timeout and this process's pooled session, and posts through
    `post` (transport failures mapped by `transport_error`, which a gateway may word its own way) or
    `post_json` (HTTP statuses mapped too, per the module's rules)."""

    def __init__(self, options: dict | None = None):
        self.options = self.platform_options() if options is None else options
        self.timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        self.concurrency = concurrency(self.options)
        self.session = pooled_session(self.concurrency)

    @classmethod
    def platform_options(cls) -> dict:
        """The platform's own account (settings.GATEWAYS), when the gateway is built without options."""
        return settings.GATEWAYS[cls.name]

    def transport_error(self, exc: requests.RequestException) -> GatewayError:
        return transport_error(exc, self.timeout)

    def post(self, url: str, **kwargs) -> requests.Response:
        """POST with the gateway's timeout; a request that gets no answer raises `transport_error`."""
        try:
            return self.session.post(url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise self.transport_error(exc) from exc

    def post_json(self, url: str, payload, **kwargs) -> requests.Response:
        """POST JSON; an HTTP error status raises its GatewayError (status_error)."""
        response = self.post(url, json=payload, **kwargs)
        error = status_error(response)
        if error is not None:
            raise error
        return response
