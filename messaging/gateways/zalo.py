"""Zalo ZNS (Zalo Notification Service): a school notice to the Zalo account of a parent's phone number,
through the platform's one Official Account (settings.GATEWAYS["zalo"]), and its delivery receipts by webhook.

Sending: one POST per message to `url` (business.openapi.zalo.me/message/template) with the OA's access token
in the `access_token` header (messaging.zalo_tokens keeps it fresh) and JSON `{phone, template_id,
template_data, tracking_id}`: the phone as E.164 digits without "+" ("84912345678"), tracking_id our
idempotency key (`<schema>-<delivery id>`, which the receipt carries back). Zalo answers
`{"error": 0, "data": {"msg_id": …}}`. Zalo does not deduplicate by tracking_id: a retry after a timed-out
request that Zalo did accept reaches the parent twice, as with any provider without an idempotency key.

The template the OA must register (ZNS tùy chỉnh, tag "Chăm sóc khách hàng"; Zalo approves each template):
    TITLE      {{title}}
    PARAGRAPH  {{content}}
    BUTTON     "Xem trong Sổ liên lạc" → the site's address (a fixed URL: Zalo checks its domain)
with both parameters of the type "Tên sản phẩm / Thương hiệu" (up to 200 characters, the longest text type;
"Nhãn tùy chỉnh" allows only 30). Zalo limits a TITLE to 65 characters. `title` is the message's title, or
the body's first line; `content` the body on one line. Both are cut to their limits with "…" here, rather
than refused by Zalo as "template data invalid": the whole notice is one tap away in the parent's inbox.

Zalo's answer codes (ZNS "Cách xử lý mã lỗi"), and what each means for the pipeline:
    -124             access token invalid/expired: refresh it (zalo_tokens) and send that message once more
    -108 -118 -119 -139
                     the number: invalid, no Zalo account, an account that cannot receive ZNS, a parent who
                     refused this OA's messages: permanent and the recipient's (`recipient=True`): the
                     contact point is marked and the message falls back to SMS
    -100             unknown error, "try again later": transient
    HTTP 429, 5xx, timeouts, refused connections: transient (http_sms.post_json)
    every other code permanent, never the parent's fault (the message falls back now; the reason tells the
                     platform what to fix), among them:
    -101 -102 -103 -104 -105   the app: invalid, missing, not activated, wrong secret, linked to no OA
    -109 -111 -112 -117 -131   the template: unknown id, empty or invalid data, not the OA's, not approved
    -114             the user is inactive, rejected this message, has an outdated app, or "other internal
                     errors": too vague to blame the number for ever, so not marked, but this message moves on
    -115 -144       out of quota (the account's balance, the OA's daily limit)
    -133             ZNS may not be sent at night (22:00–06:00): an emergency notice goes by SMS instead of
                     waiting for morning

Receipts: Zalo POSTs `user_received_message` events to our webhook (messaging.views_zalo), signed in the
`X-ZEvent-Signature` header: "mac=" + hex SHA-256 of app_id + raw body + the body's `timestamp` + the OA
secret key. `message.tracking_id` names the schema and the delivery; `message.delivery_time` (ms) is when it
reached the phone. Other events (a parent's reply, a follow) are none of the pipeline's business.
"""

import hashlib
import json

import requests
from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.text import Truncator

from messaging import zalo_tokens
from messaging.gateways.base import (
    Gateway,
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptRejected,
    ReceiptStatus,
    SendResult,
)
from messaging.gateways.http_sms import post_json, reply_json

TITLE_MAX = 65
CONTENT_MAX = 200
RECEIVED = "user_received_message"
SIGNATURE_HEADER = "X-ZEvent-Signature"

SUCCESS = 0
TOKEN_INVALID = -124
TRANSIENT_CODES = frozenset({-100})
RECIPIENT_CODES = {
    -108: "invalid phone number",
    -118: "no Zalo account for this number",
    -119: "this Zalo account cannot receive ZNS",
    -139: "the parent refused this Official Account's messages",
}
PERMANENT_CODES = {
    -101: "invalid app",
    -102: "the app does not exist",
    -103: "the app is not activated",
    -104: "wrong app secret key",
    -105: "the app is not linked to an Official Account",
    -109: "invalid template id",
    -111: "template data empty",
    -112: "template data invalid",
    -114: "the user is inactive, rejected the message or has an outdated Zalo app",
    -115: "out of ZNS quota (balance)",
    -117: "the OA or app may not use this template",
    -131: "the template is not approved",
    -133: "ZNS cannot be sent at night",
    -144: "the OA's daily ZNS limit is reached",
}


class _TokenRejected(Exception):
    """Zalo refused the access token (-124): refresh, then send the message once more."""


def zns_phone(e164: str) -> str:
    """E.164 without its "+" ("+84912345678" → "84912345678"), the international form Zalo documents."""
    return e164.removeprefix("+")


def template_data(message: OutgoingMessage) -> dict:
    """The registered template's parameters (module docstring), each on one line and within Zalo's limits."""
    first_line = next((line for line in message.body.splitlines() if line.strip()), "")
    title = " ".join(message.title.split()) or " ".join(first_line.split())
    content = " ".join(message.body.split())
    return {"title": Truncator(title).chars(TITLE_MAX), "content": Truncator(content).chars(CONTENT_MAX)}


def zns_event(body: bytes) -> dict:
    """A webhook body as a dict ({} when it is not a JSON object)."""
    try:
        event = json.loads(body)
    except ValueError:
        return {}
    return event if isinstance(event, dict) else {}


def signature(app_id: str, body: bytes, timestamp: str, oa_secret: str) -> str:
    """What Zalo puts in X-ZEvent-Signature for a webhook body."""
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + oa_secret.encode()).hexdigest()
    return f"mac={digest}"


class ZaloZnsGateway(Gateway):
    name = "zalo"
    channel = "zalo"
    reports_delivery = True

    @classmethod
    def is_configured(cls) -> bool:
        options = settings.GATEWAYS.get(cls.name) or {}
        if not (options.get("app_id") and options.get("app_secret") and options.get("template_id")):
            return False
        return bool(options.get("refresh_token")) or zalo_tokens.token_stored()

    def __init__(self):
        options = settings.GATEWAYS.get(self.name) or {}
        self.url = options.get("url", "")
        self.template_id = options.get("template_id", "")
        self.app_id = options.get("app_id", "")
        self.oa_secret = options.get("oa_secret", "")
        self.timeout = float(options.get("timeout") or 10)
        self.session = requests.Session()

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        try:
            token = zalo_tokens.access_token()
        except GatewayError as error:  # no token, no message goes: each gets the reason
            return [SendResult(m.idempotency_key, error=error) for m in batch]
        results = []
        for message in batch:
            try:
                try:
                    msg_id = self._send(message, token)
                except _TokenRejected:
                    token = zalo_tokens.access_token(rejected=token)
                    msg_id = self._send(message, token)
                results.append(SendResult(message.idempotency_key, provider_message_id=msg_id))
            except _TokenRejected:
                error = GatewayError(
                    "Zalo -124: a freshly refreshed access token was refused", permanent=True
                )
                results.append(SendResult(message.idempotency_key, error=error))
            except GatewayError as error:
                results.append(SendResult(message.idempotency_key, error=error))
        return results

    def _send(self, message: OutgoingMessage, token: str) -> str:
        payload = {
            "phone": zns_phone(message.recipient),
            "template_id": self.template_id,
            "template_data": template_data(message),
            "tracking_id": message.idempotency_key,
        }
        response = post_json(
            self.session, self.url, payload, timeout=self.timeout, headers={"access_token": token}
        )
        reply = reply_json(response)
        try:
            code = int(reply.get("error", -100))
        except (TypeError, ValueError):
            code = -100
        if code == SUCCESS:
            data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
            return str(data.get("msg_id") or "")
        if code == TOKEN_INVALID:
            raise _TokenRejected
        detail = reply.get("message") or "unknown error"
        if code in TRANSIENT_CODES:
            raise GatewayError(f"Zalo {code}: {detail}", permanent=False)
        if code in RECIPIENT_CODES:
            raise GatewayError(f"Zalo {code}: {RECIPIENT_CODES[code]}", recipient=True)
        raise GatewayError(f"Zalo {code}: {PERMANENT_CODES.get(code, detail)}", permanent=True)

    def parse_receipt(self, request) -> list[Receipt]:
        """Receipts in a signed webhook request; ReceiptRejected unless the signature is Zalo's. Events other
        than `user_received_message`, and received ones without our tracking id, give none."""
        if not (self.app_id and self.oa_secret):
            raise ReceiptRejected("Zalo webhooks cannot be verified: app_id or oa_secret is not configured")
        event = zns_event(request.body)
        expected = signature(self.app_id, request.body, str(event.get("timestamp", "")), self.oa_secret)
        if not event or not constant_time_compare(request.headers.get(SIGNATURE_HEADER, ""), expected):
            raise ReceiptRejected("Zalo webhook without a valid X-ZEvent-Signature")
        message = event.get("message") if isinstance(event.get("message"), dict) else {}
        key, msg_id = str(message.get("tracking_id") or ""), str(message.get("msg_id") or "")
        if event.get("event_name") != RECEIVED or not key:
            return []
        return [Receipt(ReceiptStatus.DELIVERED, key, msg_id)]
