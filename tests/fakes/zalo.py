"""Zalo on 127.0.0.1: the OAuth v4 token endpoint and the ZNS template send endpoint on one server (so
`oauth_url` and `url` both point here), speaking Zalo's shapes, and the signed webhook Zalo would send.

    with FakeZalo() as zalo:
        settings = zalo.settings()  # GATEWAYS["zalo"] pointing here, seeded with zalo.seed
        zalo.expire_access_tokens()  # every access token issued so far now answers -124
        zalo.phone_errors["84912345678"] = -118  # answer this code for that phone ("not on Zalo")
        zalo.code = -115  # answer this code to every send
        zalo.daily_quota = 2  # the OA's ZNS per day: sends past it answer -144
        zalo.fail_rate, zalo.delay, zalo.status  # as every fake provider (tests/fakes/sms_providers.py)
    zalo.sent[tracking_id]  # messages delivered to phones per tracking id
    zalo.refresh_uses[token]  # how often each refresh token was presented (a second use is refused)
    body, headers = zalo.webhook(tracking_id)  # Zalo's `user_received_message` event, signed; its
                                               # recipient.id is the phone the message went to
    school = zalo.add_app()  # another app and OA on the same Zalo (a school's own): its own ids, secrets,
                             # refresh token (school.seed) and daily quota (school.daily_quota)
    zalo.accepted[tracking_id]["app_id"]  # which app's OA sent it

ZNS answers as Zalo documents them (https://zalo.cloud/zns/guidelines/handle-error-code): a template
parameter over its length is -1121 (not -112, which is data of the wrong shape), -140/-141 a user who
turned ZNS off, -144 the OA's daily quota spent (the success reply reports `quota`).

OAuth: POST form (refresh_token, app_id, grant_type=refresh_token) with the app secret in a `secret_key`
header answers `{access_token, refresh_token, expires_in}` (expires_in a string of seconds). Every refresh
token works once; a reused, unknown or wrong-app one gets Zalo's error object instead of tokens.
"""

import hashlib
import io
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from types import SimpleNamespace
from urllib.parse import parse_qs

from tests.fakes.sms_providers import FakeHttpProvider

OAUTH_PATH = "/v4/oa/access_token"
ZNS_PATH = "/message/template"
MESSAGES = {
    -100: "Unknown error",
    -108: "Phone number invalid",
    -109: "Template ID invalid",
    -112: "Template data invalid",
    -114: "User is inactive, or reject the message, or using an outdated Zalo version, "
    "or other internal errors",
    -115: "Out of quota",
    -117: "OA or App does not have permission to access this template",
    -118: "Zalo account not existed",
    -119: "Account can not receive ZNS message",
    -124: "Access token invalid",
    -131: "ZNS template not approved",
    -133: "Cannot send ZNS at night",
    -139: "User refused to receive this type of ZNS",
    -140: "OA has no permission to send ZNS to this user (the user turned ZNS off)",
    -141: "User refused to receive ZNS",
    -144: "OA has exceeded the daily ZNS limit",
    -1121: "Template data: a parameter exceeds its max length",
}


class FakeZalo(FakeHttpProvider):
    APP_ID, APP_SECRET, OA_SECRET, TEMPLATE_ID = (
        "4291763606161179100",
        "app-secret-kAjd9",
        "oa-secret-x8Qm",
        "301234",
    )
    TITLE_MAX, CONTENT_MAX = 65, 200  # what the registered template's parameters accept

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.expires_in = 90000  # seconds, what Zalo gives an OA access token (25 hours)
        self.access_tokens: dict[str, float] = {}  # token → monotonic expiry
        self.token_apps: dict[str, str] = {}  # access token → the app id it was issued to
        self.refresh_tokens: set[str] = set()  # still usable
        self.refresh_uses: Counter = Counter()
        self.issued: list[tuple[str, str]] = []  # (access, refresh) pairs, in order
        self.accepted: dict[str, dict] = {}  # tracking_id → body with msg_id
        self.phone_errors: dict[str, int] = {}
        self.code = 0  # a ZNS error code to answer every send with; 0 answers normally
        self.daily_quota = 1000
        self.seed = self._new_refresh_token()
        self.apps = {self.APP_ID: self}  # app id → its ids, secrets and daily quota (add_app)
        self._form = threading.local()
        self._sent_at = itertools.count(int(time.time() * 1000))

    def settings(self, **overrides) -> dict:
        return {
            "app_id": self.APP_ID,
            "app_secret": self.APP_SECRET,
            "oa_secret": self.OA_SECRET,
            "refresh_token": self.seed,
            "template_id": self.TEMPLATE_ID,
            "oauth_url": self.url + OAUTH_PATH,
            "url": self.url + ZNS_PATH,
            "timeout": 2.0,
        } | overrides

    def add_app(self) -> SimpleNamespace:
        """Another Zalo app with its OA (a school's own), served by this same Zalo."""
        app = SimpleNamespace(
            APP_ID=str(secrets.randbelow(10**18) + 10**18),
            APP_SECRET="app-secret-" + secrets.token_hex(4),
            OA_SECRET="oa-secret-" + secrets.token_hex(4),
            TEMPLATE_ID=str(secrets.randbelow(10**6)),
            seed=self._new_refresh_token(),
            daily_quota=1000,
        )
        self.apps[app.APP_ID] = app
        return app

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens = dict.fromkeys(self.access_tokens, 0.0)

    @property
    def refreshes(self) -> int:
        return len(self.issued)

    def webhook(
        self, tracking_id: str, event_name: str = "user_received_message", phone: str = "", **message
    ) -> tuple[bytes, dict]:
        """The body and headers (as Django test client kwargs) of Zalo's event about an accepted message."""
        accepted = self.accepted.get(tracking_id, {})
        app = self.apps[accepted.get("app_id", self.APP_ID)]
        timestamp = str(int(time.time() * 1000))
        event = {
            "event_name": event_name,
            "app_id": app.APP_ID,
            "sender": {"id": "579745863508352884"},  # the OA
            "recipient": {"id": phone or accepted.get("phone", "84912345678")},  # the phone it reached
            "message": {
                "delivery_time": timestamp,
                "msg_id": accepted.get("msg_id", uuid.uuid4().hex),
                "tracking_id": tracking_id,
            }
            | message,
            "timestamp": timestamp,
        }
        body = json.dumps(event).encode()
        mac = hashlib.sha256(
            app.APP_ID.encode() + body + timestamp.encode() + app.OA_SECRET.encode()
        ).hexdigest()
        return body, {"HTTP_X_ZEVENT_SIGNATURE": f"mac={mac}"}

    def _new_refresh_token(self) -> str:
        token = secrets.token_urlsafe(48)
        self.refresh_tokens.add(token)
        return token

    def _handle(self, handler):
        # The base server parses JSON only; the OAuth endpoint takes a form, so keep it for reply().
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self._form.value = {key: values[-1] for key, values in parse_qs(raw.decode(errors="replace")).items()}
        original, handler.rfile = handler.rfile, io.BytesIO(raw)
        try:
            super()._handle(handler)
        finally:
            handler.rfile = original

    def reply(self, request):
        if request.method == "POST" and request.path == OAUTH_PATH:
            return self._refresh(request, getattr(self._form, "value", {}))
        if request.method == "POST" and request.path == ZNS_PATH:
            return self._send(request)
        return 404, {"error": 404, "message": "Not found"}

    def _refresh(self, request, form):
        token = form.get("refresh_token", "")
        self.refresh_uses[token] += 1
        app = self.apps.get(form.get("app_id", ""))
        if app is None or request.headers.get("secret_key") != app.APP_SECRET:
            return 200, _oauth_error(-14002, "Invalid app secret key")
        if form.get("grant_type") != "refresh_token" or token not in self.refresh_tokens:
            return 200, _oauth_error(-14014, "Invalid refresh token")
        self.refresh_tokens.discard(token)  # single use
        access = secrets.token_urlsafe(64)
        self.access_tokens[access] = time.monotonic() + self.expires_in
        self.token_apps[access] = app.APP_ID
        refresh = self._new_refresh_token()
        self.issued.append((access, refresh))
        return 200, {"access_token": access, "refresh_token": refresh, "expires_in": str(self.expires_in)}

    def _send(self, request):
        body = request.body if isinstance(request.body, dict) else {}
        token = request.headers.get("access_token", "")
        if self.access_tokens.get(token, 0.0) <= time.monotonic():
            return 200, _zns_error(-124)
        app = self.apps[self.token_apps[token]]
        if self.code:
            return 200, _zns_error(self.code)
        phone = str(body.get("phone", ""))
        if not re.fullmatch(r"84\d{9}", phone):
            return 200, _zns_error(-108)
        if body.get("template_id") != app.TEMPLATE_ID:
            return 200, _zns_error(-109)
        data = body.get("template_data")
        if not isinstance(data, dict) or set(data) != {"title", "content"} or not all(data.values()):
            return 200, _zns_error(-112)
        if len(data["title"]) > self.TITLE_MAX or len(data["content"]) > self.CONTENT_MAX:
            return 200, _zns_error(-1121)
        if phone in self.phone_errors:
            return 200, _zns_error(self.phone_errors[phone])
        sent_by_app = sum(n for key, n in self.sent.items() if self.accepted[key]["app_id"] == app.APP_ID)
        if sent_by_app >= app.daily_quota:
            return 200, _zns_error(-144)
        msg_id = uuid.uuid4().hex
        tracking_id = str(body.get("tracking_id", ""))
        self.accepted[tracking_id] = dict(body, msg_id=msg_id, app_id=app.APP_ID)
        self.sent[tracking_id] += 1
        sent_by_app += 1
        return 200, {"error": 0, "message": "Success", "data": {
            "msg_id": msg_id, "sent_time": str(next(self._sent_at)),
            "quota": {"dailyQuota": str(app.daily_quota),
                      "remainingQuota": str(app.daily_quota - sent_by_app)},
        }}  # fmt: skip


def _zns_error(code: int) -> dict:
    return {"error": code, "message": MESSAGES.get(code, "Unknown error")}


def _oauth_error(code: int, reason: str) -> dict:
    return {
        "error": code,
        "error_name": "Invalid parameter",
        "error_reason": reason,
        "ref_doc": "https://developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new",
        "error_description": reason,
    }
