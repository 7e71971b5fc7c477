"""An operations centre on 127.0.0.1 speaking docs/integrations.md exactly, written from the document and
not from our sender's code: the HMAC-SHA256 signature over "<timestamp>.<body>" with the office's secret,
the timestamp window, the batch envelope, each record stored once per idempotency key (a key sent again is
answered "duplicate" and stored nothing), the newest version of each record_id kept, per-record results.

    with FakeCentre() as centre:
        centre.url  # http://127.0.0.1:<port>; the endpoint is centre.endpoint
        centre.down = True  # 503 to everything (nothing stored)
        centre.fail_rate = 0.3  # HTTP 500 to 30 % of requests (a fixed seed: the same ones each run) …
        centre.fail_after_storing = True  # … half of them after storing the batch: the answer is lost
        centre.rejects[("ma_dinh_danh", "01…")] = "Mã định danh không có trong CSDL ngành"  # that record
        centre.throttle = 2  # 429 with Retry-After: centre.retry_after to the next 2 requests
        centre.delay = 1.0  # store, then answer a second later (a worker killed meanwhile never hears it)
    centre.stored  # idempotency key → the record as stored: the exactly-once check
    centre.latest  # record_id → the newest version stored
    centre.answers  # every request's (HTTP status, keys in it)
"""

import hashlib
import hmac
import json
import random
import threading
import time
from collections import Counter

from tests.fakes.http import LocalHttpServer

TYPES = ("attendance_class", "attendance_mark", "payment")
MAX_RECORDS = 500
MAX_SKEW = 300


class FakeCentre(LocalHttpServer):
    PATH = "/api/v1/records"
    KEY_ID, SECRET = "phong-dong-da", "a-centre-secret-of-32-characters"

    def __init__(self, seed: int = 16):
        self.stored: dict[str, dict] = {}
        self.latest: dict[str, dict] = {}
        self.answers: list[tuple[int, list[str]]] = []
        self.seen: Counter = Counter()  # idempotency key → requests it came in (stored or not)
        self.down = False
        self.fail_rate = 0.0
        self.fail_after_storing = False
        self.rejects: dict[tuple[str, object], str] = {}
        self.throttle = 0
        self.delay = 0.0
        self.retry_after = 1
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        super().__init__()

    @property
    def endpoint(self) -> str:
        return self.url + self.PATH

    def _handle(self, handler):
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in handler.headers.items()}
        with self._lock:  # one at a time, as the centre's database would: counts stay exact
            status, reply, extra = self._answer(handler.command, handler.path, headers, raw)
        time.sleep(self.delay)  # the work is done; only the answer is late
        data = json.dumps(reply, ensure_ascii=False).encode()
        try:
            handler.send_response(status)
            for name, value in extra.items():
                handler.send_header(name, value)
            handler.send_header("Content-Type", "application/json; charset=utf-8")
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass

    def _answer(self, method, path, headers, raw) -> tuple[int, dict, dict]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        keys = [
            r.get("idempotency_key")
            for r in (body.get("records") if isinstance(body, dict) else None) or []
            if isinstance(r, dict)
        ]
        self.seen.update(k for k in keys if isinstance(k, str))
        status, reply, extra = self._process(method, path, headers, raw, body)
        self.answers.append((status, keys))
        return status, reply, extra

    def _process(self, method, path, headers, raw, body):
        if method != "POST" or path != self.PATH:
            return 404, {"error": "not found"}, {}
        if self.down:
            return 503, {"error": "Service Unavailable"}, {}
        if self.throttle:
            self.throttle -= 1
            return 429, {"error": "Too Many Requests"}, {"Retry-After": str(self.retry_after)}
        failing = self._random.random() < self.fail_rate
        if failing and not (self.fail_after_storing and self._random.random() < 0.5):
            return 500, {"error": "Internal Server Error"}, {}
        refused = self._authenticate(headers, raw)
        if refused:
            return 401, {"error": refused}, {}
        if (
            not isinstance(body, dict)
            or body.get("version") != 1
            or not isinstance(body.get("batch_id"), str)
            or not isinstance(body.get("records"), list)
        ):
            return 400, {"error": "the batch is not a version 1 batch"}, {}
        if len(body["records"]) > MAX_RECORDS:
            return 413, {"error": f"at most {MAX_RECORDS} records a batch"}, {}
        results = [self._store(record) for record in body["records"]]
        if failing:  # stored, then the answer is lost
            return 500, {"error": "Internal Server Error"}, {}
        return 200, {"batch_id": body["batch_id"], "results": results}, {}

    def _authenticate(self, headers, raw) -> str:
        if headers.get("x-schoolbook-key") != self.KEY_ID:
            return "unknown key"
        stamp = headers.get("x-schoolbook-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_SKEW:
            return "timestamp outside the window"
        expected = (
            "v1=" + hmac.new(self.SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
        )
        if not hmac.compare_digest(headers.get("x-schoolbook-signature", ""), expected):
            return "invalid signature"
        return ""

    def _store(self, record) -> dict:
        key = record.get("idempotency_key") if isinstance(record, dict) else None
        if not isinstance(key, str) or not 1 <= len(key) <= 64:
            return {"idempotency_key": key, "status": "rejected", "reason": "idempotency_key is missing"}
        if (
            record.get("type") not in TYPES
            or not isinstance(record.get("record_id"), str)
            or not isinstance(record.get("data"), dict)
        ):
            return {
                "idempotency_key": key,
                "status": "rejected",
                "reason": "type, record_id or data is wrong",
            }
        for (field, value), reason in self.rejects.items():
            if record["data"].get(field) == value:
                return {"idempotency_key": key, "status": "rejected", "reason": reason}
        if key in self.stored:
            return {"idempotency_key": key, "status": "duplicate"}
        self.stored[key] = record
        newest = self.latest.get(record["record_id"])
        if newest is None or (record["produced_at"], record["version"]) >= (
            newest["produced_at"],
            newest["version"],
        ):
            self.latest[record["record_id"]] = record
        return {"idempotency_key": key, "status": "accepted"}

    def versions_stored(self) -> Counter:
        """(record_id, version) → how many times stored under any key: more than 1 is a record doubled."""
        return Counter((r["record_id"], r["version"]) for r in self.stored.values())
