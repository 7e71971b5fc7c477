"""eSMS, SpeedSMS and a generic JSON SMS API on 127.0.0.1, speaking each provider's real protocol (paths,
auth, JSON shapes, reply codes), for the gateway tests, the fault tests and bench/fanout.py.

    with FakeEsms() as esms:
        settings = esms.settings()  # GATEWAYS["esms"] pointing here
        esms.fail_rate = 0.3  # answer HTTP 500 to 30 % of calls (before doing anything)
        esms.delay = 2.0  # accept the message, then answer only after 2 s (past the gateway's timeout)
        esms.delay = 0.02  # or: a provider 20 ms away (bench/fanout.py)
        esms.code = "103"  # answer this provider error code to every call
        esms.status = 429  # answer this HTTP status to every call
        esms.blocked_phones.add("0912345678")  # eSMS 99: the number is blocked
        speedsms.limit, speedsms.window = 60, 60.0  # SpeedSMS: 429 past 60 requests in any 60 s
        http_sms.error_body = "..."  # HTTP 200 with {"status": "error"}: not sent
    esms.sent[key]  # messages actually accepted per idempotency key: the exactly-once check
    esms.requests  # every request as received (path, headers, JSON body)

Each fake counts what a real provider would deliver to handsets, so "sent twice" shows up as a count of 2.
`settings()` has the gateways send one request at a time (concurrency 1), so that `requests` is in batch
order; pass `concurrency=` to send a batch's requests in parallel, as the gateways do by default.
"""

import base64
import itertools
import json
import math
import random
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from tests.fakes.http import LocalHttpServer


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict  # lower-case names
    body: dict | list | None  # parsed JSON, None if the body was not JSON
    at: float = field(default_factory=time.monotonic)  # when it arrived: rates over processes


class FakeHttpProvider(LocalHttpServer):
    """A threaded HTTP server in the background; subclasses answer in `reply(request) -> (status, json)`
    or `(status, json, headers)`."""

    def __init__(self, seed: int = 5):
        self.requests: list[Request] = []
        self.sent: Counter = Counter()  # idempotency key (or phone) → messages delivered to handsets
        self.fail_rate = 0.0
        self.delay = 0.0
        self.code = ""  # provider error code to force; "" answers normally
        self.status = 0  # HTTP status to force; 0 answers normally
        self._random = random.Random(seed)  # a fixed seed: the same calls fail on every run
        self._lock = threading.Lock()
        super().__init__()

    @property
    def total_sent(self) -> int:
        return sum(self.sent.values())

    def _handle(self, handler: BaseHTTPRequestHandler):
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = Request(
            handler.command, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body
        )
        with self._lock:
            self.requests.append(request)
            crash = self._random.random() < self.fail_rate
        headers = {}
        if crash:
            status, reply = 500, {"error": "Internal Server Error"}
        elif self.status:
            status, reply = self.status, {"error": f"forced HTTP {self.status}"}
        else:
            with self._lock:  # one at a time, as a provider's database would: counts stay exact
                status, reply, *extra = self.reply(request)
            headers = extra[0] if extra else {}
            time.sleep(self.delay)  # the work is done; only the answer is late
        data = json.dumps(reply).encode()
        try:
            handler.send_response(status)
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up waiting (timeout test)
            pass

    def reply(self, request: Request) -> tuple[int, dict]:
        raise NotImplementedError


class FakeEsms(FakeHttpProvider):
    """rest.esms.vn `SendMultipleMessage_V4_post_json`: credentials in the body, CodeResult 100 = accepted,
    a repeated RequestId answers 124 and sends nothing, delivery reports go by GET to CallbackUrl. As eSMS's
    documents say (devesms/gitbook_esms_for_develop_v2_en, "Send SMS API" and the error table): 99 answers a
    blocked number, and a RequestId longer than 50 characters is an invalid request."""

    MAX_REQUEST_ID = 50

    PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
    API_KEY, SECRET_KEY, BRANDNAME = "esms-api-key", "esms-secret", "TRUONG-A"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.accepted: dict[str, dict] = {}  # RequestId → {"SMSID", "Phone", "CallbackUrl", ...}
        self.blocked_phones: set[str] = set()  # numbers (0… form) eSMS answers 99 for

    def settings(self, **overrides) -> dict:
        return {
            "url": self.url + self.PATH,
            "api_key": self.API_KEY,
            "secret_key": self.SECRET_KEY,
            "brandname": self.BRANDNAME,
            "sms_type": "2",
            "sandbox": False,
            "callback_url": "https://truong.example/hooks/esms/",
            "timeout": 2.0,
            "concurrency": 1,
        } | overrides

    def reply(self, request):
        body = request.body
        if request.method != "POST" or request.path != self.PATH or not isinstance(body, dict):
            return 400, {"error": "Invalid request"}
        if self.code:
            return 200, {"CodeResult": self.code, "CountRegenerate": 0, "ErrorMessage": f"forced {self.code}"}
        if (body.get("ApiKey"), body.get("SecretKey")) != (self.API_KEY, self.SECRET_KEY):
            return 200, {"CodeResult": "101", "CountRegenerate": 0, "ErrorMessage": "Authorize Failed"}
        if body.get("Brandname") != self.BRANDNAME:
            return 200, {
                "CodeResult": "104",
                "CountRegenerate": 0,
                "ErrorMessage": "Brand name code is not exist",
            }
        if not re.fullmatch(r"0\d{9}", str(body.get("Phone", ""))):
            return 200, {"CodeResult": "108", "CountRegenerate": 0, "ErrorMessage": "Phone number is invalid"}
        if str(body.get("Phone")) in self.blocked_phones:
            return 200, {"CodeResult": "99", "CountRegenerate": 0, "ErrorMessage": "Phone number is blocked"}
        if len(str(body.get("RequestId") or "")) > self.MAX_REQUEST_ID:
            return 400, {"error": "Invalid request"}
        request_id = body.get("RequestId") or uuid.uuid4().hex
        if request_id in self.accepted:
            return 200, {
                "CodeResult": "124",
                "CountRegenerate": 0,
                "ErrorMessage": "Request exist 1",
                "SendStatus": "5",
            }
        sms_id = uuid.uuid4().hex
        self.accepted[request_id] = dict(body, SMSID=sms_id)
        self.sent[request_id] += 1
        return 200, {"CodeResult": "100", "CountRegenerate": 0, "SMSID": sms_id}

    def callback(self, request_id: str, delivered: bool = True) -> tuple[str, dict]:
        """The delivery report eSMS would send for an accepted message: (CallbackUrl we gave, GET params)."""
        message = self.accepted[request_id]
        return message["CallbackUrl"], {
            "SMSID": message["SMSID"], "SendFailed": "0" if delivered else "1", "SendStatus": "5",
            "SendSuccess": "1" if delivered else "0", "TotalPrice": "800.0000", "TotalReceiver": "1",
            "TotalSent": "1", "RequestId": request_id, "TypeId": "2", "telcoid": "1",
            "phonenumber": message["Phone"], "switchsmsid": "",
        }  # fmt: skip


class FakeSpeedSms(FakeHttpProvider):
    """api.speedsms.vn `POST /index.php/sms/send`: HTTP Basic (token, "x"), `{to: [...], content, sms_type,
    sender}`; success `{status: "success", code: "00", data: {tranId, totalSMS, totalPrice, invalidPhone}}`.
    SpeedSMS has no idempotency key, so `sent` counts by phone and content. At most `limit` requests in any
    `window` seconds per account (SpeedSMS's API document: 60 per 60 s); past that HTTP 429 with Yii's
    `{"name": "Too Many Requests", …}` and `X-Rate-Limit-Reset`, the seconds until a request is allowed
    again (Yii 2's RateLimiter filter). `throttled` counts those answers."""

    PATH = "/index.php/sms/send"
    TOKEN, SENDER = "speedsms-token", "TRUONG-A"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.invalid_phones: set[str] = set()  # numbers (84… form) to report in invalidPhone
        self._tran_ids = itertools.count(1000)
        self.limit, self.window = 60, 60.0
        self.throttled = 0
        self._recent: list[float] = []  # monotonic times of the requests the window still holds

    def _over_limit(self) -> float:
        """0 when this request is allowed (and counts it), else the seconds until one will be."""
        now = time.monotonic()
        self._recent = [t for t in self._recent if t > now - self.window]
        if len(self._recent) >= self.limit:
            self.throttled += 1
            return self._recent[len(self._recent) - self.limit] + self.window - now
        self._recent.append(now)
        return 0.0

    def settings(self, **overrides) -> dict:
        return {
            "url": self.url + self.PATH,
            "token": self.TOKEN,
            "sender": self.SENDER,
            "sms_type": 3,
            "timeout": 2.0,
        } | overrides

    def reply(self, request):
        expected = "Basic " + base64.b64encode(f"{self.TOKEN}:x".encode()).decode()
        if request.headers.get("authorization") != expected:
            return 401, {"name": "Unauthorized", "message": "Your request was made with invalid credentials.",
                         "code": 0, "status": 401}  # fmt: skip
        body = request.body
        if request.method != "POST" or request.path != self.PATH or not isinstance(body, dict):
            return 404, {"name": "Not Found", "message": "Page not found.", "code": 0, "status": 404}
        wait = self._over_limit()
        if wait:
            reset = {"X-Rate-Limit-Limit": str(self.limit), "X-Rate-Limit-Remaining": "0",
                     "X-Rate-Limit-Reset": str(math.ceil(wait))}  # fmt: skip
            return 429, {"name": "Too Many Requests", "message": "Rate limit exceeded.", "code": 0,
                         "status": 429}, reset  # fmt: skip
        if self.code:
            return 200, {"status": "error", "code": self.code, "message": f"forced {self.code}"}
        to, content = body.get("to"), body.get("content")
        if not isinstance(to, list) or not to or not content or body.get("sender") != self.SENDER:
            return 200, {"status": "error", "code": "101", "message": "Invalid or missing parameters"}
        invalid = [p for p in to if p in self.invalid_phones or not re.fullmatch(r"84\d{9}", str(p))]
        if len(invalid) == len(to):
            return 200, {"status": "error", "code": "105", "message": "Phone number invalid",
                         "invalidPhone": invalid}  # fmt: skip
        valid = [p for p in to if p not in invalid]
        for phone in valid:
            self.sent[(phone, content)] += 1
        return 200, {"status": "success", "code": "00", "data": {
            "tranId": next(self._tran_ids), "totalSMS": len(valid), "totalPrice": 600 * len(valid),
            "invalidPhone": invalid,
        }}  # fmt: skip


class FakeHttpSms(FakeHttpProvider):
    """A typical JSON SMS API as the generic gateway's defaults describe it: `POST /sms` with a bearer token,
    `{"to", "text", "id"}`, 201 `{"status": "success", "message": {"id": …}}`; like many such APIs it
    answers some failures with HTTP 200 and `{"status": "error", "error": …}` (`error_body`)."""

    PATH = "/sms"
    TOKEN = "http-sms-token"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ids = itertools.count(1)
        self.error_body = ""  # when set: answer 200 {"status": "error", "error": error_body}, send nothing

    def settings(self, **overrides) -> dict:
        return {
            "url": self.url + self.PATH,
            "headers": json.dumps({"Authorization": f"Bearer {self.TOKEN}"}),
            "body": '{"to": "{phone}", "text": "{text}", "id": "{id}"}',
            "success_status": "200,201,202",
            "success_field": "status",
            "success_values": "success",
            "id_field": "message.id",
            "timeout": 2.0,
            "concurrency": 1,
        } | overrides

    def reply(self, request):
        if request.headers.get("authorization") != f"Bearer {self.TOKEN}":
            return 401, {"error": "unauthorized"}
        body = request.body
        if (
            request.path != self.PATH
            or not isinstance(body, dict)
            or not body.get("to")
            or not body.get("text")
        ):
            return 422, {"error": "to and text are required"}
        if self.error_body:
            return 200, {"status": "error", "error": self.error_body}
        key = body.get("id") or body["to"]
        self.sent[key] += 1
        return 201, {"status": "success", "message": {"id": f"msg-{next(self._ids)}", "to": body["to"]}}
