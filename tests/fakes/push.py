"""A Web Push service on 127.0.0.1 (RFC 8030) that also plays the browser: it hands out real subscriptions
(a P-256 key pair and auth secret per subscription), so it can check the VAPID signature (RFC 8292) and
decrypt each payload (RFC 8291, aes128gcm) the way a browser would.

    with FakePushService() as push:
        subscription = push.subscribe()  # the PushSubscription JSON a browser would give us
        push.replies[push.subscription_id(subscription)] = 410  # or 404, 429, 500 ... (default 201)
    push.count(key)  # payloads received carrying this idempotency key (their "tag")
"""

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import override_settings
from py_vapid import Vapid

from schoolbook.outbound import origin
from tests.fakes.http import LocalHttpServer


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def new_vapid_keys() -> dict:
    """VAPID settings as an operator would configure them: base64url raw private key and public point."""
    vapid = Vapid()
    vapid.generate_keys()
    private = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    public = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return {"vapid_private_key": b64url(private), "vapid_public_key": b64url(public)}


@dataclass(frozen=True)
class Received:
    subscription_id: str
    headers: dict  # lower-case names
    vapid_claims: dict  # the JWT's claims, its signature checked against k=
    vapid_key: str  # k=: the application server's public key
    payload: dict | None  # decrypted JSON; None when the request was refused before decryption


class FakePushService(LocalHttpServer):
    def __init__(self):
        self.received: list[Received] = []
        self.replies: dict[str, int] = {}  # subscription id → status to answer instead of 201
        self.retry_after: str = ""  # Retry-After header sent with a 429/5xx reply
        self.delay = 0.0  # seconds to wait before answering (a hung push service)
        self._keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes, str]] = {}
        self._lock = threading.Lock()
        super().__init__()

    def subscribe(self, application_server_key: str = "") -> dict:
        """A browser's subscription; with the VAPID public key given (as pushManager.subscribe gets it), the
        service answers 403 to pushes signed by any other key (RFC 8292 §4.2)."""
        subscription_id = secrets.token_urlsafe(12)
        private_key = ec.generate_private_key(ec.SECP256R1())
        auth = secrets.token_bytes(16)
        self._keys[subscription_id] = (private_key, auth, application_server_key)
        public = private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{self.url}/push/{subscription_id}",
            "keys": {"p256dh": b64url(public), "auth": b64url(auth)},
        }

    def __enter__(self):
        # The gateway only talks to public push services; this fake's exact origin is let through for the
        # time it runs (settings.PUSH_TEST_ORIGINS, a test-only setting), nothing else on 127.0.0.1 is.
        self._origins = override_settings(PUSH_TEST_ORIGINS=[*settings.PUSH_TEST_ORIGINS, origin(self.url)])
        self._origins.enable()
        return super().__enter__()

    def __exit__(self, *exc):
        super().__exit__(*exc)
        self._origins.disable()

    @staticmethod
    def subscription_id(subscription: dict) -> str:
        return subscription["endpoint"].rsplit("/", 1)[1]

    def count(self, idempotency_key: str) -> int:
        return sum(1 for r in self.received if r.payload and r.payload.get("tag") == idempotency_key)

    def _handle(self, request: BaseHTTPRequestHandler):
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        headers = {name.lower(): value for name, value in request.headers.items()}
        subscription_id = request.path.removeprefix("/push/")
        if self.delay:
            time.sleep(self.delay)
        if subscription_id not in self._keys:
            return _reply(request, 404, "no such subscription")
        problem = _check(headers)
        if problem:
            return _reply(request, 400, problem)
        if len(body) > 4096:  # RFC 8030 §7.2: services take at least 4096 octets, most no more
            return _reply(request, 413, "payload too large")
        claims, key = _vapid(headers["authorization"])
        if claims is None:
            return _reply(request, 401, "VAPID signature does not verify")
        private_key, auth, application_server_key = self._keys[subscription_id]
        if application_server_key and key != application_server_key:
            status = 403
        else:
            status = self.replies.get(subscription_id, 201)
        payload = None
        if status == 201:
            payload = json.loads(
                http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
            )
        with self._lock:
            self.received.append(Received(subscription_id, headers, claims, key, payload))
        if status == 201:
            message_id = secrets.token_urlsafe(8)
            return _reply(request, 201, "", {"Location": f"{self.url}/message/{message_id}"})
        extra = {"Retry-After": self.retry_after} if self.retry_after and status != 410 else {}
        return _reply(request, status, "refused by the test", extra)


def _check(headers: dict) -> str:
    """What RFC 8030/8291/8292 require of every push request; the reason for a 400 when something is off."""
    if not headers.get("authorization", "").lower().startswith("vapid "):
        return "Authorization: vapid t=…, k=… missing"
    if not headers.get("ttl", "").isdigit():
        return "TTL header missing"
    if headers.get("content-encoding") != "aes128gcm":
        return "Content-Encoding must be aes128gcm"
    return ""


def _vapid(authorization: str) -> tuple[dict | None, str]:
    """The JWT claims of `vapid t=<jwt>, k=<key>` if its ES256 signature verifies with k, else None."""
    params = dict(part.strip().partition("=")[::2] for part in authorization.split(" ", 1)[1].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    try:
        valid = Vapid.verify(f"vapid t={token},k={key}")
    except (AssertionError, ValueError, IndexError):  # py_vapid's answers to a malformed token or key
        valid = False
    if not valid:
        return None, key
    claims = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))), key


def _reply(request: BaseHTTPRequestHandler, status: int, text: str, headers: dict | None = None):
    data = text.encode()
    request.send_response(status)
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)
