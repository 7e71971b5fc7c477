"""eSMS (esms.vn) brandname SMS: one JSON POST to SendMultipleMessage_V4_post_json per message.

From eSMS's developer documentation (developers.esms.vn; its source is the public GitBook repository
devesms/gitbook_esms_for_develop_v2_en: "esms-api/send-sms-api", the table of error codes, "Callback Url"):
- Phone goes in the national form "0912345678", as in all of eSMS's examples and delivery reports.
- RequestId is our idempotency key, at most 50 characters (messaging.delivery_keys.delivery_key makes 24
  letters and digits). eSMS answers 124 "duplicate RequestId" to a repeat, which means an earlier attempt
  (one whose answer timed out, say) was accepted: 124 counts as sent, so a retry after a timeout never
  reaches a parent twice.
- CodeResult "100" means accepted, not delivered; the delivery report comes later by HTTP GET to CallbackUrl.
- Account problems (wrong keys, no price list, balance too low, brandname or template not registered, IP not
  whitelisted) are permanent: retrying for hours does not fix them, falling back to the next channel reaches
  the parent now, and the reason tells the school what to fix. 99 means the number is blocked (eSMS's error
  table since 2025): the recipient's fault, like 108, so no retry and the number is marked.
- eSMS does not sign delivery reports. Our CallbackUrl therefore ends with a path segment holding an HMAC,
  keyed from SECRET_KEY, of the school code (`receipt_token(scope)`), and `parse_receipt` refuses a request
  whose token is not the one of the school its URL names: a token seen in one school's URL (a leaked log,
  that school's own eSMS account) opens no other school's. A path segment, not a query parameter, because
  eSMS appends "?SMSID=…" to the URL as given.
- Delivery ids are per schema, so the report must say whose delivery it is: CallbackUrl is
  `<callback_url>/<school code, or "public" for login codes>/<token>/`, for the schema the batch is sent from.
"""

from django.conf import settings
from django.db import connection
from django.utils.crypto import constant_time_compare, salted_hmac

from messaging.gateways.base import (
    GatewayError,
    OutgoingMessage,
    Receipt,
    ReceiptRejected,
    ReceiptStatus,
    SendResult,
)
from messaging.gateways.http import HttpGateway, reply_json, send_each
from messaging.sms_text import is_gsm7
from schoolbook.caching import cached_lookup
from tenants.models import School

ACCEPTED, DUPLICATE = "100", "124"
PERMANENT_CODES = {
    "99": "the phone number is blocked",
    "101": "wrong eSMS ApiKey or SecretKey",
    "102": "the eSMS account has no price list",
    "103": "eSMS balance too low",
    "104": "brandname not registered with eSMS",
    "108": "invalid phone number",
    "140": "this server's IP address is not whitelisted at eSMS",
    "146": "text does not match the registered customer-care template",
    "177": "brandname not registered with the recipient's carrier",
}
RECIPIENT_CODES = frozenset({"99", "108"})  # the number is blocked or wrong; the others are about our account
# Delivery report SendStatus: 1 awaiting approval, 2 waiting to send, 7 at the carrier (no receipt yet),
# 4 rejected, 5 finished (SendSuccess / SendFailed then say how it ended).
_REJECTED, _FINISHED = "4", "5"


def receipt_token(scope: str) -> str:
    """The secret last path segment of a school's CallbackUrl (`scope`: its code, or "public"): only eSMS
    (which we told) and we know it, and it is worth nothing at another school's URL."""
    return salted_hmac("messaging.gateways.esms.receipt", f"esms:{scope}", algorithm="sha256").hexdigest()


def receipt_scope() -> str:
    """The current schema's school code, or "public": the segment of CallbackUrl that says whose delivery
    ids a report carries. Under schema_context (and in tasks) the connection may know only the schema name:
    ask the School row rather than invert onboarding's naming convention (cached: a schema keeps its
    school)."""
    schema = connection.schema_name
    if schema == "public":
        return "public"
    code = getattr(connection.tenant, "code", None)
    if code:
        return code
    code = cached_lookup(
        f"school-code-by-schema:{schema}",
        lambda: School.objects.filter(schema_name=schema).values_list("code", flat=True).first(),
        3600,
    )
    if code is None:
        raise LookupError(f"No school has the schema {schema!r}")
    return code


def esms_phone(e164: str) -> str:
    """National form: "+84912345678" → "0912345678"; other numbers as digits (eSMS may answer 108)."""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164.lstrip("+")


class EsmsGateway(HttpGateway):
    name = "esms"
    channel = "sms"

    @property
    def reports_delivery(self) -> bool:  # eSMS calls back only when it is given a callback URL
        return bool(settings.GATEWAYS.get("esms", {}).get("callback_url"))

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        options = self.options
        self.url = options["url"]
        self.common = {
            "ApiKey": options["api_key"],
            "SecretKey": options["secret_key"],
            "Brandname": options["brandname"],
            "SmsType": str(options.get("sms_type") or "2"),
            "Sandbox": "1" if options.get("sandbox") else "0",
        }
        self.callback_base = options.get("callback_url") or ""

    def callback_url(self) -> str:
        """Where eSMS reports on messages sent from the current schema ("" when no callback is configured)."""
        if not self.callback_base:
            return ""
        scope = receipt_scope()
        return f"{self.callback_base.rstrip('/')}/{scope}/{receipt_token(scope)}/"

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        # The callback URL reads the connection's schema: here, not in the sending threads.
        common = self.common | {"CallbackUrl": self.callback_url()}
        return send_each(batch, lambda message: self._send(message, common), self.concurrency)

    def _send(self, message: OutgoingMessage, common: dict) -> str:
        payload = common | {
            "Phone": esms_phone(message.recipient),
            "Content": message.body,
            "IsUnicode": "0" if is_gsm7(message.body) else "1",
            "RequestId": message.idempotency_key,
        }
        reply = reply_json(self.post_json(self.url, payload))
        code = str(reply.get("CodeResult", "99"))  # {"error": "Invalid request"} is documented as 99
        if code == ACCEPTED:
            return str(reply.get("SMSID") or "")
        if code == DUPLICATE:
            return ""  # sent by an earlier attempt; its receipt finds the Delivery by RequestId
        detail = reply.get("ErrorMessage") or reply.get("error") or ""
        reason = PERMANENT_CODES.get(code, detail or "unknown error code")
        raise GatewayError(f"eSMS {code}: {reason}", permanent=True, recipient=code in RECIPIENT_CODES)

    def parse_receipt(self, request) -> list[Receipt]:
        scope, token = [*request.path.rstrip("/").rsplit("/", 2), "", ""][1:3]
        if not (scope and constant_time_compare(token, receipt_token(scope))):
            raise ReceiptRejected("eSMS delivery report without this school's callback token")
        params = request.POST if request.method == "POST" and request.POST else request.GET
        key, sms_id = params.get("RequestId", ""), params.get("SMSID", "")
        if not key and not sms_id:
            return []
        status = params.get("SendStatus", "")
        if status == _REJECTED:
            return [Receipt(ReceiptStatus.FAILED, key, sms_id, "rejected by eSMS")]
        if status != _FINISHED:
            return []  # still on its way: the final report follows
        if _count(params.get("SendSuccess")) > 0:
            return [Receipt(ReceiptStatus.DELIVERED, key, sms_id)]
        if _count(params.get("SendFailed")) > 0:
            return [Receipt(ReceiptStatus.FAILED, key, sms_id, "the carrier could not deliver it")]
        return []


def _count(value) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0
