"""Any SMS provider with a JSON POST API, described by configuration instead of code (settings.GATEWAYS
["http_sms"]: url, headers, body template, success statuses, where the reply carries the message id), and
the HTTP failure rules that the eSMS and SpeedSMS adapters share.

Failure rules: a timeout, a refused connection, 5xx and 408 are transient (the provider may accept the
same request later); 429 means we went too fast: wait as long as the provider says (Retry-After, or
X-Rate-Limit-Reset as SpeedSMS sends it; a minute when it says nothing) and do not count it as an attempt;
any other 4xx is permanent: the request itself is wrong (credentials, number, template) and repeating it
cannot help. A timed-out request may still have been accepted: only providers with an idempotency key (eSMS
RequestId) make the retry harmless; a generic provider may then deliver twice.

Success of the generic gateway is the provider's word in the reply, not the HTTP status alone: many such
APIs answer HTTP 200 with `{"status": "error", …}`. GATEWAYS["http_sms"]["success_field"] (a dotted path
into the reply, HTTP_SMS_SUCCESS_FIELD, default "status") must hold one of "success_values"
(HTTP_SMS_SUCCESS_VALUES, comma-separated, compared without case; default "success"); an empty field
name checks the status alone. A reply that says otherwise is a permanent failure (nothing was sent, and
the reason is the provider's, not the parent's).

Providers that take one message per request (eSMS, this one) get a batch's requests `concurrency` at a time
(GATEWAYS[…]["concurrency"], DEFAULT_CONCURRENCY when not set): a request spends its time waiting for the
provider (tens to hundreds of milliseconds), so one at a time a worker process would send a 50-message
batch in 50 round trips. The per-gateway token bucket still caps the rate, whatever the concurrency. The
connections stay open from one batch to the next (the pipeline builds a gateway per batch), so that a
worker makes a TLS handshake per thread and provider, not per thread and batch.
"""

import json
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter

from messaging.gateways.base import Gateway, GatewayError, OutgoingMessage, SendResult

TRANSIENT_STATUSES = frozenset({408})
TOO_MANY_REQUESTS = 429
DEFAULT_RETRY_AFTER = 60.0
_PLACEHOLDER = re.compile(r"\{(phone|text|id)\}")
DEFAULT_CONCURRENCY = 16


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


def post_json(session: requests.Session, url: str, payload, *, timeout: float, **kwargs) -> requests.Response:
    """POST JSON; transport failures become a transient GatewayError, HTTP errors per the rules above."""
    try:
        response = session.post(url, json=payload, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise GatewayError(f"no answer within {timeout:g} s", permanent=False) from exc
    except requests.RequestException as exc:
        raise GatewayError(f"connection failed: {exc}", permanent=False) from exc
    if response.status_code == TOO_MANY_REQUESTS:
        wait = retry_after_seconds(response)
        raise GatewayError(f"HTTP 429: too many requests, wait {wait:g} s", retry_after=wait)
    if response.status_code >= 400:
        permanent = response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES
        raise GatewayError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=permanent)
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


def reply_field(reply, path: list[str]):
    """The value at a dotted path in a JSON reply; None when it is not there."""
    for part in path:
        reply = reply.get(part) if isinstance(reply, dict) else None
    return reply


def reply_json(response: requests.Response) -> dict:
    """The reply as a dict; a garbled reply (a proxy's HTML page) is transient: the provider is not itself."""
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if not isinstance(reply, dict):
        raise GatewayError(f"unreadable reply: {response.text[:200]}", permanent=False)
    return reply


def render_body(template: str, phone: str, text: str, key: str) -> str:
    """Fill {phone} {text} {id} with JSON-escaped values (the template puts them inside quotes). One pass,
    so a text containing "{id}" stays as typed."""
    values = {"phone": phone, "text": text, "id": key}
    return _PLACEHOLDER.sub(lambda match: json.dumps(values[match[1]])[1:-1], template)


def _path(dotted: str | None) -> list[str]:
    return [part for part in (dotted or "").split(".") if part]


class HttpSmsGateway(Gateway):
    name = "http_sms"
    channel = "sms"

    def __init__(self):
        options = settings.GATEWAYS[self.name]
        self.url = options["url"]
        if not self.url:
            raise ImproperlyConfigured("GATEWAYS['http_sms']['url'] (HTTP_SMS_URL) is not set")
        headers = options.get("headers") or {}
        try:
            self.headers = json.loads(headers) if isinstance(headers, str) else dict(headers)
        except ValueError as exc:
            raise ImproperlyConfigured("HTTP_SMS_HEADERS must be a JSON object") from exc
        self.body = options["body"]
        statuses = options.get("success_status") or "200"
        self.success_statuses = {int(s) for s in str(statuses).split(",") if s.strip()}
        self.id_path = _path(options.get("id_field"))
        self.success_path = _path(options.get("success_field"))
        values = options.get("success_values") or "success"
        self.success_values = {v.strip().lower() for v in str(values).split(",") if v.strip()}
        self.timeout = float(options.get("timeout") or 10)
        self.concurrency = concurrency(options)
        self.session = pooled_session(self.concurrency)

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        return send_each(batch, self._send, self.concurrency)

    def _send(self, message: OutgoingMessage) -> str:
        rendered = render_body(self.body, message.recipient, message.body, message.idempotency_key)
        try:
            payload = json.loads(rendered)
        except ValueError as exc:
            raise GatewayError("HTTP_SMS_BODY is not valid JSON once filled in", permanent=True) from exc
        response = post_json(self.session, self.url, payload, timeout=self.timeout, headers=self.headers)
        if response.status_code not in self.success_statuses:
            raise GatewayError(f"HTTP {response.status_code} is not a success status", permanent=True)
        try:
            reply = response.json()
        except ValueError:
            reply = None
        if self.success_path:
            said = reply_field(reply, self.success_path)
            if said is None or isinstance(said, dict | list) or str(said).lower() not in self.success_values:
                detail = (
                    json.dumps(reply, ensure_ascii=False)[:200] if reply is not None else response.text[:200]
                )
                raise GatewayError(
                    f"the provider did not say {'.'.join(self.success_path)}: {detail}", permanent=True
                )
        # Accepted: a reply without the id must not make us send again, so "" is fine.
        found = reply_field(reply, self.id_path)
        return "" if found is None or isinstance(found, dict | list) else str(found)
