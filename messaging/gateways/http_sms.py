"""Any SMS provider with a JSON POST API, described by configuration instead of code (settings.GATEWAYS
["http_sms"]: url, headers, body template, success statuses, where the reply carries the message id), and
the HTTP failure rules that the eSMS and SpeedSMS adapters share.

Failure rules: a timeout, a refused connection, 5xx, 408 and 429 are transient (the provider may accept the
same request later); any other 4xx is permanent: the request itself is wrong (credentials, number, template)
and repeating it cannot help. A timed-out request may still have been accepted: only providers with an
idempotency key (eSMS RequestId) make the retry harmless; a generic provider may then deliver twice.
"""

import json
import re

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from messaging.gateways.base import Gateway, GatewayError, OutgoingMessage, SendResult

TRANSIENT_STATUSES = frozenset({408, 429})
_PLACEHOLDER = re.compile(r"\{(phone|text|id)\}")


def post_json(session: requests.Session, url: str, payload, *, timeout: float, **kwargs) -> requests.Response:
    """POST JSON; transport failures become a transient GatewayError, HTTP errors per the rules above."""
    try:
        response = session.post(url, json=payload, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise GatewayError(f"no answer within {timeout:g} s", permanent=False) from exc
    except requests.RequestException as exc:
        raise GatewayError(f"connection failed: {exc}", permanent=False) from exc
    if response.status_code >= 400:
        permanent = response.status_code < 500 and response.status_code not in TRANSIENT_STATUSES
        raise GatewayError(f"HTTP {response.status_code}: {response.text[:200]}", permanent=permanent)
    return response


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
        self.id_path = [part for part in (options.get("id_field") or "").split(".") if part]
        self.timeout = float(options.get("timeout") or 10)
        self.session = requests.Session()  # keep-alive: one TLS handshake per worker, not per message

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        results = []
        for message in batch:
            try:
                results.append(SendResult(message.idempotency_key, provider_message_id=self._send(message)))
            except GatewayError as error:
                results.append(SendResult(message.idempotency_key, error=error))
        return results

    def _send(self, message: OutgoingMessage) -> str:
        rendered = render_body(self.body, message.recipient, message.body, message.idempotency_key)
        try:
            payload = json.loads(rendered)
        except ValueError as exc:
            raise GatewayError("HTTP_SMS_BODY is not valid JSON once filled in", permanent=True) from exc
        response = post_json(self.session, self.url, payload, timeout=self.timeout, headers=self.headers)
        if response.status_code not in self.success_statuses:
            raise GatewayError(f"HTTP {response.status_code} is not a success status", permanent=True)
        # Accepted by its status: a reply without the id must not make us send again, so "" is fine.
        try:
            found = response.json()
        except ValueError:
            return ""
        for part in self.id_path:
            found = found.get(part) if isinstance(found, dict) else None
        return "" if found is None or isinstance(found, dict | list) else str(found)
