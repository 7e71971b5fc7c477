"""SpeedSMS (speedsms.vn): JSON POST to /index.php/sms/send, HTTP Basic with the API token as user and "x" as
password, body {to: [...], content, sms_type, sender}. Source: SpeedSMS's API document (speedsms.vn "Tài liệu
API", and its own client libraries, e.g. the PHP/Python SpeedSMSAPI classes); ../shared/DOMAIN.md §6.

Rate limit: at most 60 requests per 60 seconds per account (API token); over it SpeedSMS answers HTTP 429
`{"name": "Too Many Requests", …}` with `X-Rate-Limit-Reset`, the seconds until a request is allowed again
(the header of Yii 2's RateLimiter filter, which SpeedSMS's API runs on; a value that looks like a Unix time
is read as one). So the limit counts requests, not messages, and belongs to the account: this gateway takes
a token from its account's bucket (messaging.gateways.ratelimit, keyed by a hash of the token, so a school's
own account has its own) before every request, at GATEWAYS["speedsms"] rate_per_second / burst (default 0.5/s,
burst 30: at most 30 + 30 = 60 requests in any 60 s). A request the bucket refuses is not made; a 429 holds
the whole account's bucket until the reset and stops the batch. Either way the messages not sent come back
with `retry_after`, which the pipeline neither counts as an attempt nor backs off exponentially from.

Why messages are batched: one request per message would take 50 minutes for a school of 3,000 parents at 60
requests a minute. Messages with the same text (a notice) share one request of up to 100 numbers, each number
at most once per request, and the reply still maps to each message:
- success (status "success", code "00"): every number gets "<tranId>:<number>" (the delivery report names
  both) except those in data.invalidPhone, which fail permanently (invalid number);
- code 105 with invalidPhone: the request sent nothing; the numbers listed fail permanently, the others fail
  transiently and go again in the next batch;
- any other error applies to the whole request. 500, HTTP 5xx and timeouts are transient. Account problems
  (007 IP locked, 008 account blocked, 009 API not allowed, 101 bad parameters such as an unregistered sender,
  110/113 text refused, 300 balance too low) are permanent: retrying does not fix them, falling back to the
  next channel reaches the parent now, the reason tells the school why.
SpeedSMS has no idempotency key: a request whose answer timed out may have been sent, and its retry then
sends again. Numbers go in the "84…" form of SpeedSMS's own examples.
"""

import re

from messaging.gateways.base import GatewayError, OutgoingMessage, SendResult, account_bucket_name
from messaging.gateways.http import HttpGateway, reply_json
from messaging.gateways.ratelimit import TokenBucket

MAX_NUMBERS = 100
RATE_PER_SECOND, BURST = 0.5, 30  # requests: within the documented 60 per 60 s, whatever the timing
TRANSIENT_CODES = frozenset({"500"})
PERMANENT_CODES = {
    "007": "this server's IP address is locked by SpeedSMS",
    "008": "SpeedSMS account blocked",
    "009": "SpeedSMS account not allowed to call the API",
    "101": "invalid or missing parameters (is the sender registered?)",
    "105": "invalid phone number",
    "110": "SpeedSMS does not support this text encoding",
    "113": "text too long for SpeedSMS",
    "300": "SpeedSMS balance too low",
}


def _invalid_number() -> GatewayError:
    return GatewayError("SpeedSMS 105: invalid phone number", recipient=True)


def _rate_limited(outcomes: dict) -> GatewayError | None:
    """The provider's "too many requests" among a request's outcomes (they are all the same error then)."""
    error = next(iter(outcomes.values()), None)
    return error if isinstance(error, GatewayError) and error.retry_after is not None else None


def speedsms_phone(number: str) -> str:
    """The "84…" form: "+84912345678", "0912345678" or "84912345678" → "84912345678"."""
    digits = re.sub(r"\D", "", str(number))
    return "84" + digits[1:] if digits.startswith("0") else digits


def _requests(batch: list[OutgoingMessage]) -> list[tuple[str, dict[str, int]]]:
    """(text, {number: index in batch}) per request: same text, ≤ MAX_NUMBERS, each number once."""
    by_text: dict[str, list[dict[str, int]]] = {}
    for index, message in enumerate(batch):
        phone = speedsms_phone(message.recipient)
        chunks = by_text.setdefault(message.body, [])
        chunk = next((c for c in chunks if len(c) < MAX_NUMBERS and phone not in c), None)
        if chunk is None:
            chunk = {}
            chunks.append(chunk)
        chunk[phone] = index
    return [(text, chunk) for text, chunks in by_text.items() for chunk in chunks]


class SpeedSmsGateway(HttpGateway):
    name = "speedsms"
    channel = "sms"
    limits_itself = True

    def __init__(self, options: dict | None = None):
        super().__init__(options)
        options = self.options
        self.url = options["url"]
        self.auth = (options["token"], "x")
        self.sender = options["sender"]
        self.sms_type = int(options.get("sms_type") or 3)
        self.bucket = TokenBucket(
            account_bucket_name(self.name, options),
            float(options.get("rate_per_second") or RATE_PER_SECOND),
            int(options.get("burst") or BURST),
        )

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        results: list[SendResult | None] = [None] * len(batch)
        held: GatewayError | None = None  # once the account must wait, no further request in this batch
        for text, numbers in _requests(batch):
            if held is None and (wait := self.bucket.take()):
                held = GatewayError(
                    "SpeedSMS: this account's 60 requests a minute are used", retry_after=wait
                )
            outcomes = dict.fromkeys(numbers.values(), held) if held else self._send(text, numbers)
            if held is None and (limited := _rate_limited(outcomes)):
                self.bucket.hold(limited.retry_after)
                held = limited
            for index, outcome in outcomes.items():
                key = batch[index].idempotency_key
                if isinstance(outcome, GatewayError):
                    results[index] = SendResult(key, error=outcome)
                else:
                    results[index] = SendResult(key, provider_message_id=outcome)
        return results

    def _send(self, text: str, numbers: dict[str, int]) -> dict[int, str | GatewayError]:
        """Index in batch → provider message id, or the error for that message."""
        payload = {"to": list(numbers), "content": text, "sms_type": self.sms_type, "sender": self.sender}
        try:
            reply = reply_json(self.post_json(self.url, payload, auth=self.auth))
        except GatewayError as error:
            return dict.fromkeys(numbers.values(), error)
        data = reply.get("data") if isinstance(reply.get("data"), dict) else {}
        invalid = {speedsms_phone(p) for p in data.get("invalidPhone") or reply.get("invalidPhone") or []}
        code = str(reply.get("code", ""))
        if reply.get("status") == "success" and code == "00":
            tran_id = data.get("tranId", "")
            return {
                i: _invalid_number() if phone in invalid else f"{tran_id}:{phone}"
                for phone, i in numbers.items()
            }
        if code == "105" and invalid:
            others = GatewayError("SpeedSMS 105: not sent, another number in the request was invalid")
            return {i: _invalid_number() if phone in invalid else others for phone, i in numbers.items()}
        detail = reply.get("message") or "unknown error"
        if code in TRANSIENT_CODES:
            error = GatewayError(f"SpeedSMS {code}: {detail}", permanent=False)
        else:
            error = GatewayError(f"SpeedSMS {code}: {PERMANENT_CODES.get(code, detail)}", permanent=True)
        return dict.fromkeys(numbers.values(), error)
