"""Any SMS provider with a JSON POST API, described by configuration instead of code (settings.GATEWAYS
["http_sms"]: url, headers, body template, success statuses, where the reply carries the message id). Its
HTTP failures follow messaging.gateways.http's rules; a timed-out request may still have been accepted,
and a generic provider has no idempotency key, so it may then deliver twice.

Success of the generic gateway is the provider's word in the reply, not the HTTP status alone: many such
APIs answer HTTP 200 with `{"status": "error", …}`. GATEWAYS["http_sms"]["success_field"] (a dotted path
into the reply, HTTP_SMS_SUCCESS_FIELD, default "status") must hold one of "success_values"
(HTTP_SMS_SUCCESS_VALUES, comma-separated, compared without case; default "success"); an empty field
name checks the status alone. A reply that says otherwise is a permanent failure (nothing was sent, and
the reason is the provider's, not the parent's).

One message per request, a batch's requests `concurrency` at a time (messaging.gateways.http.send_each).
"""

import json
import re

from django.core.exceptions import ImproperlyConfigured

from messaging.gateways.base import GatewayError, OutgoingMessage, SendResult
from messaging.gateways.http import HttpGateway, send_each

_PLACEHOLDER = re.compile(r"\{(phone|text|id)\}")


def reply_field(reply, path: list[str]):
    """The value at a dotted path in a JSON reply; None when it is not there."""
    for part in path:
        reply = reply.get(part) if isinstance(reply, dict) else None
    return reply


def render_body(template: str, phone: str, text: str, key: str) -> str:
    """Fill {phone} {text} {id} with JSON-escaped values (the template puts them inside quotes). One pass,
    so a text containing "{id}" stays as typed."""
    values = {"phone": phone, "text": text, "id": key}
    return _PLACEHOLDER.sub(lambda match: json.dumps(values[match[1]])[1:-1], template)


def _path(dotted: str | None) -> list[str]:
    return [part for part in (dotted or "").split(".") if part]


class HttpSmsGateway(HttpGateway):
    name = "http_sms"
    channel = "sms"

    def __init__(self):
        super().__init__()
        options = self.options
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

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        return send_each(batch, self._send, self.concurrency)

    def _send(self, message: OutgoingMessage) -> str:
        rendered = render_body(self.body, message.recipient, message.body, message.idempotency_key)
        try:
            payload = json.loads(rendered)
        except ValueError as exc:
            raise GatewayError("HTTP_SMS_BODY is not valid JSON once filled in", permanent=True) from exc
        response = self.post_json(self.url, payload, headers=self.headers)
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
