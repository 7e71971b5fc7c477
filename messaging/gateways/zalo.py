"""Zalo ZNS (Zalo Notification Service): a school notice to the Zalo account of a parent's phone number,
through the platform's Official Account (settings.GATEWAYS["zalo"]) or the school's own
(messaging.provider_accounts), and its delivery receipts by webhook.

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

Zalo's answer codes (ZNS "Cách xử lý mã lỗi", https://zalo.cloud/zns/guidelines/handle-error-code), and
what each means for the pipeline:
    -124             access token invalid/expired: refresh it (zalo_tokens) and send that message once more
    -108 -118 -119 -139 -140 -141
                     the number: invalid, no Zalo account, an account that cannot receive ZNS, a parent who
                     refused this OA's messages or chose not to receive ZNS at all: permanent and the
                     recipient's (`recipient=True`): the contact point is marked and the message falls back
                     to SMS
    -100             unknown error, "try again later": transient
    HTTP 429, 5xx, timeouts, refused connections: transient (http_sms.post_json)
    -144             the OA's daily ZNS quota is used up (Zalo sets it per OA from its message quality):
                     Zalo is paused for that OA until midnight in Vietnam (QUOTA_TZ): this message and every
                     one after it falls back at once without a request, and the platform admins get ONE
                     alert (the first worker to pause it sends it; messaging.alerts). A school's own OA is
                     paused alone: the platform's and other schools' OAs go on
    every other code permanent, never the parent's fault (the message falls back now; the reason tells the
                     platform what to fix), among them:
    -101 -102 -103 -104 -105   the app: invalid, missing, not activated, wrong secret, linked to no OA
    -109 -111 -112 -117 -131   the template: unknown id, empty or invalid data, not the OA's, not approved
    -1121            a parameter is longer than the template allows: the message's fault (never the
                     number's), so it is not sent again through Zalo (template_data cuts to the limits, so
                     this means the registered template's limits changed)
    -114             the user is inactive, rejected this message, has an outdated app, or "other internal
                     errors": too vague to blame the number for ever, so not marked, but this message moves on
    -115             out of quota (the account's balance)
    -133             ZNS may not be sent at night (22:00–06:00): an emergency notice goes by SMS instead of
                     waiting for morning

Receipts: Zalo POSTs `user_received_message` events to the webhook its app names (messaging.views_zalo: the
platform's, or a school's own at /hooks/zalo/<code>/), signed in the
`X-ZEvent-Signature` header: "mac=" + hex SHA-256 of app_id + raw body + the body's `timestamp` + the OA
secret key. `message.tracking_id` names the schema and the delivery; `message.delivery_time` (ms) is when it
reached the phone; `recipient.id` is the phone number it reached ("84…", as we sent it: Zalo for Developers,
ZNS webhook, event `user_received_message`; a follower's events carry a Zalo user id there instead, but those
are not receipts), which the receipt carries as E.164 so that a receipt naming another phone than the
delivery's is not applied. Other events (a parent's reply, a follow) are none of the pipeline's business.
"""

import hashlib
import json
import logging
import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.core.cache import caches
from django.utils.crypto import constant_time_compare
from django.utils.text import Truncator
from django.utils.translation import gettext

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
DAILY_QUOTA = -144
QUOTA_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # Zalo's day, whatever the server's zone
TRANSIENT_CODES = frozenset({-100})
RECIPIENT_CODES = {
    -108: "invalid phone number",
    -118: "no Zalo account for this number",
    -119: "this Zalo account cannot receive ZNS",
    -139: "the parent refused this Official Account's messages",
    -140: "the parent chose not to receive ZNS messages",
    -141: "the parent chose not to receive ZNS messages of this kind",
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
    -1121: "a parameter is longer than the template allows",
    -114: "the user is inactive, rejected the message or has an outdated Zalo app",
    -115: "out of ZNS quota (balance)",
    -117: "the OA or app may not use this template",
    -131: "the template is not approved",
    -133: "ZNS cannot be sent at night",
    DAILY_QUOTA: "the OA's daily ZNS limit is reached",
}
logger = logging.getLogger("schoolbook.messaging")


def _pause_key(oa: str) -> str:
    return f"zalo:quota-paused:{oa}"


def paused_until(oa: str) -> str:
    """When Zalo may be used again for this OA (ISO time) after a -144, or "" while it is not paused. `oa`
    names the OA (ZaloZnsGateway.oa: the app id, with the school's schema for a school's own OA)."""
    return caches["platform"].get(_pause_key(oa)) or ""


def pause_until_midnight(oa: str, now: datetime | None = None) -> bool:
    """Pause the OA until the next midnight in Vietnam; True only for the call that paused it (atomic
    cache.add in the cache every schema shares), so one alert goes out however many workers see -144."""
    now = now or datetime.now(QUOTA_TZ)
    midnight = next_midnight(now)
    seconds = max(1, math.ceil((midnight - now).total_seconds()))
    return caches["platform"].add(_pause_key(oa), midnight.isoformat(), timeout=seconds)


def next_midnight(now: datetime) -> datetime:
    """The start of the next day in Vietnam, when Zalo's daily quota starts again."""
    local = now.astimezone(QUOTA_TZ)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), QUOTA_TZ)


def _paused_error(until: str) -> GatewayError:
    return GatewayError(
        f"Zalo {DAILY_QUOTA}: {PERMANENT_CODES[DAILY_QUOTA]}; paused until {until}", permanent=True
    )


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

    def __init__(self, options: dict | None = None):
        options = (settings.GATEWAYS.get(self.name) or {}) if options is None else options
        self.options = options
        self.url = options.get("url", "")
        self.template_id = options.get("template_id", "")
        self.app_id = options.get("app_id", "")
        self.oa_secret = options.get("oa_secret", "")
        self.timeout = float(options.get("timeout") or 10)
        # One app may be authorised by several OAs (the platform's, a school's): each has its own quota.
        schema = options.get("token_schema") or "public"
        self.oa = self.app_id if schema == "public" else f"{self.app_id}@{schema}"
        self.session = requests.Session()

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        until = paused_until(self.oa)
        if until:  # the OA's quota for today is spent: fall back without asking Zalo
            return [SendResult(m.idempotency_key, error=_paused_error(until)) for m in batch]
        try:
            token = zalo_tokens.access_token(self.options)
        except GatewayError as error:  # no token, no message goes: each gets the reason
            return [SendResult(m.idempotency_key, error=error) for m in batch]
        results = []
        for message in batch:
            until = until or paused_until(self.oa)
            if until:
                results.append(SendResult(message.idempotency_key, error=_paused_error(until)))
                continue
            try:
                try:
                    msg_id = self._send(message, token)
                except _TokenRejected:
                    token = zalo_tokens.access_token(self.options, rejected=token)
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
        if code == DAILY_QUOTA:
            self._quota_spent()
        if code in TRANSIENT_CODES:
            raise GatewayError(f"Zalo {code}: {detail}", permanent=False)
        if code in RECIPIENT_CODES:
            raise GatewayError(f"Zalo {code}: {RECIPIENT_CODES[code]}", recipient=True)
        raise GatewayError(f"Zalo {code}: {PERMANENT_CODES.get(code, detail)}", permanent=True)

    def _quota_spent(self) -> None:
        if pause_until_midnight(self.oa):
            logger.error("Zalo OA %s: daily ZNS quota used up (-144); paused until midnight", self.oa)
            try:  # the alert must never cost the batch its results (the sends before it went out)
                self._alert()
            except Exception:
                logger.exception("Zalo quota alert to the platform admins failed")

    def _alert(self) -> None:
        from messaging.alerts import platform_alert  # the pipeline's services import the gateways

        platform_alert(
            key=f"zalo-quota-{self.oa}",
            title=gettext("Zalo: hết hạn mức ZNS trong ngày"),
            body=gettext(
                "Official Account của ứng dụng Zalo %(app)s đã dùng hết hạn mức ZNS hôm nay (mã -144). "
                "Tin Zalo tạm dừng đến 0 giờ; các tin nhắn chuyển sang kênh tiếp theo."
            )
            % {"app": self.oa},
        )

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
        recipient = event.get("recipient") if isinstance(event.get("recipient"), dict) else {}
        return [Receipt(ReceiptStatus.DELIVERED, key, msg_id, address=receipt_phone(recipient.get("id")))]


def receipt_phone(value) -> str:
    """The webhook's `recipient.id` (the phone: "84912345678", or "0912…" national) as E.164; "" if none."""
    digits = str(value or "").strip().removeprefix("+")
    if not digits.isdigit():
        return ""
    return "+84" + digits[1:] if digits.startswith("0") else "+" + digits
