"""Firebase Cloud Messaging HTTP v1 and Google's OAuth token endpoint on 127.0.0.1, for the FCM gateway tests.

The test's service account gets a fresh RSA key pair; the token endpoint checks the JWT bearer assertion
as Google does (RS256 signature against that public key, iss, scope, aud, at most an hour of validity) and
issues access tokens; the send endpoint checks the bearer token, the project in the path and the message's
shape (one target, string data values, at most 4096 bytes), and plays the phones: each registration token
has a notification drawer where a notification replaces one with the same tag, as on Android.

    with FakeFcm() as fcm:
        options = fcm.settings(tmp_path)  # GATEWAYS["fcm"], with the service account file written there
        token = fcm.device_token()  # a registration token as the app would get it
        fcm.unregister(token)  # 404 UNREGISTERED from now on
        fcm.error = "QUOTA_EXCEEDED"  # answer this FCM error code to every send (see ERRORS)
        fcm.retry_after = "120"  # the Retry-After header FCM adds to its 429 and 503 answers (none: "")
        fcm.fail_rate = 0.3  # 500 INTERNAL for 30 % of sends (fixed seed)
        fcm.delay = 2.0  # deliver, then answer only after 2 s
        fcm.unauthorized = 1  # answer 401 to the next send whatever its token (a token revoked early)
        fcm.expire_tokens()  # every access token issued so far is expired
    fcm.sent[key]  # messages delivered per idempotency key (data.key)
    fcm.drawer[token]  # notifications shown on that device: tag → notification
    fcm.token_requests  # the claims of every accepted assertion (fcm.token_calls: all requests)
"""

import base64
import itertools
import json
import random
import secrets
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.fakes.http import LocalHttpServer

SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_PATH = "/token"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
MESSAGE_FIELDS = {"name", "data", "notification", "android", "webpush", "apns", "fcm_options"} | {
    "token",
    "topic",
    "condition",  # the target: exactly one of them
}
# FCM errorCode → (HTTP status, google.rpc status, message), as FCM answers them.
ERRORS = {
    "UNREGISTERED": (404, "NOT_FOUND", "Requested entity was not found."),
    "INVALID_ARGUMENT": (
        400,
        "INVALID_ARGUMENT",
        "The registration token is not a valid FCM registration token",
    ),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED", "SenderId mismatch"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Messages sent'."),
    "UNAVAILABLE": (503, "UNAVAILABLE", "The service is currently unavailable."),
    "INTERNAL": (500, "INTERNAL", "Internal error encountered."),
    "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service"),
}
UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
    "valid authentication credential."
)


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeFcm(LocalHttpServer):
    PROJECT_ID = "so-lien-lac-test"

    def __init__(self, seed: int = 5):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        # Unique per fake: the gateway caches tokens per account, and each fake issues its own.
        self.client_email = f"schoolbook-{secrets.token_hex(4)}@{self.PROJECT_ID}.iam.gserviceaccount.com"
        self.sent: Counter = Counter()
        self.drawer: dict[str, dict[str, dict]] = {}  # registration token → tag → notification shown
        self.received: list[dict] = []  # every send request's JSON body, accepted or not
        self.token_requests: list[dict] = []
        self.token_calls = 0  # requests to the token endpoint, refused ones included
        self.error = ""  # an FCM errorCode from ERRORS to answer every send with
        self.retry_after = ""  # Retry-After on 429/503 answers: delay-seconds or an HTTP-date
        self.fail_rate = 0.0
        self.delay = 0.0
        self.unauthorized = 0
        self.token_status = 0  # an HTTP status the token endpoint answers instead of a token
        self.token_lifetime = 3599  # expires_in, as Google gives it
        self._registered: set[str] = set()
        self._unregistered: set[str] = set()
        self._access: dict[str, float] = {}  # access token → expiry (time.time())
        self._ids = itertools.count(1)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        super().__init__()

    # --- what a test sets up ------------------------------------------------------------------------------

    def service_account(self, key: rsa.RSAPrivateKey | None = None) -> dict:
        """The JSON key file Google would let us download (another `key`: one Google does not know)."""
        pem = (key or self.key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return {
            "type": "service_account",
            "project_id": self.PROJECT_ID,
            "private_key_id": secrets.token_hex(20),
            "private_key": pem.decode(),
            "client_email": self.client_email,
            "client_id": "1" + "".join(secrets.choice("0123456789") for _ in range(20)),
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.url + TOKEN_PATH,
        }

    def settings(self, directory, key: rsa.RSAPrivateKey | None = None, **overrides) -> dict:
        """GATEWAYS["fcm"] pointing here, its service account file written into `directory`."""
        path = directory / f"fcm-{secrets.token_hex(4)}.json"
        path.write_text(json.dumps(self.service_account(key)))
        return {
            "project_id": self.PROJECT_ID,
            "service_account_file": str(path),
            "url": self.url,
            "timeout": 1.0,
        } | overrides

    def device_token(self) -> str:
        """A registration token: "<instance id>:APA91b<…>", about 160 characters like FCM's."""
        token = f"{secrets.token_urlsafe(16)}:APA91b{secrets.token_urlsafe(105)}"
        self._registered.add(token)
        return token

    def unregister(self, token: str) -> None:
        """The app was uninstalled: FCM answers UNREGISTERED for this token from now on."""
        self._unregistered.add(token)

    def expire_tokens(self) -> None:
        with self._lock:
            self._access = dict.fromkeys(self._access, 0.0)

    # --- the two endpoints --------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler):
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if handler.path == TOKEN_PATH:
            status, reply = self._token(raw.decode(), handler.headers.get("Content-Type", ""))
        else:
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            with self._lock:  # one at a time: counts stay exact
                self.received.append(body)
                status, reply = self._send(handler.path, handler.headers.get("Authorization", ""), body)
            time.sleep(self.delay)  # the message is delivered; only the answer is late
        data = json.dumps(reply).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json; charset=UTF-8")
            handler.send_header("Content-Length", str(len(data)))
            if status in (429, 503) and self.retry_after:
                handler.send_header("Retry-After", self.retry_after)
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up waiting (timeout tests)
            pass

    def _token(self, form: str, content_type: str) -> tuple[int, dict]:
        with self._lock:
            self.token_calls += 1
        if self.token_status:
            return self.token_status, {"error": "internal_failure", "error_description": "Backend Error"}
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return 400, {"error": "invalid_request", "error_description": "Bad Request"}
        params = {name: values[0] for name, values in parse_qs(form).items()}
        if params.get("grant_type") != GRANT_TYPE:
            return 400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "}
        claims, problem = self._verify(params.get("assertion", ""))
        if problem:
            return 400, {"error": "invalid_grant", "error_description": problem}
        access = f"ya29.{secrets.token_urlsafe(48)}"
        with self._lock:
            self.token_requests.append(claims)
            self._access[access] = time.time() + self.token_lifetime
        return 200, {"access_token": access, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def _verify(self, assertion: str) -> tuple[dict, str]:
        """The assertion's claims, and what Google would say is wrong with it ("" when nothing)."""
        try:
            header_part, claims_part, signature_part = assertion.split(".")
            header, claims = json.loads(b64url_decode(header_part)), json.loads(b64url_decode(claims_part))
            signature = b64url_decode(signature_part)
        except ValueError:
            return {}, "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe"
        if header.get("alg") != "RS256":
            return claims, "Invalid JWT Signature."
        try:
            self.key.public_key().verify(
                signature, f"{header_part}.{claims_part}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature:
            return claims, "Invalid JWT Signature."
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if (
            not isinstance(iat, int)
            or not isinstance(exp, int)
            or exp - iat > 3600
            or exp < now
            or iat > now + 60
        ):
            return claims, (
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim."
            )
        if claims.get("aud") != self.url + TOKEN_PATH:
            return claims, "Invalid JWT: Failed audience check."
        if claims.get("iss") != self.client_email:
            return claims, "Invalid grant: account not found"
        if claims.get("scope") != SCOPE:
            return claims, "Invalid OAuth scope or ID token audience provided."
        return claims, ""

    def _send(self, path: str, authorization: str, body) -> tuple[int, dict]:
        scheme, _, access = authorization.partition(" ")
        if self.unauthorized:
            self.unauthorized -= 1
            return _error(401, "UNAUTHENTICATED", UNAUTHENTICATED)
        if scheme != "Bearer" or self._access.get(access, 0.0) <= time.time():
            return _error(401, "UNAUTHENTICATED", UNAUTHENTICATED)
        if path != f"/v1/projects/{self.PROJECT_ID}/messages:send":
            project = path.removeprefix("/v1/projects/").split("/", 1)[0]
            resource = f"//cloudresourcemanager.googleapis.com/projects/{project}"
            denied = f"Permission 'cloudmessaging.messages.create' denied on resource '{resource}'"
            return _error(403, "PERMISSION_DENIED", f"{denied} (or it may not exist).")
        message = body.get("message") if isinstance(body, dict) else None
        problem = _malformed(message)
        if problem:
            return problem
        if self.error:
            return _fcm_error(self.error)
        if self._random.random() < self.fail_rate:
            return _fcm_error("INTERNAL")
        token = message["token"]
        if token not in self._registered:
            return _fcm_error("INVALID_ARGUMENT")
        if token in self._unregistered:
            return _fcm_error("UNREGISTERED")
        key = message.get("data", {}).get("key", "")
        self.sent[key] += 1
        tag = (
            message.get("android", {}).get("notification", {}).get("tag") or f"untagged-{len(self.received)}"
        )
        self.drawer.setdefault(token, {})[tag] = message["notification"]
        return 200, {
            "name": f"projects/{self.PROJECT_ID}/messages/0:{next(self._ids)}%{secrets.token_hex(8)}"
        }


def _malformed(message) -> tuple[int, dict] | None:
    """FCM's 400 for a message it cannot take: unknown fields, not one target, non-string data, too big."""
    if not isinstance(message, dict):
        return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name: message")
    unknown = set(message) - MESSAGE_FIELDS
    if unknown:
        name = min(unknown)
        return _error(
            400, "INVALID_ARGUMENT", f"Invalid JSON payload received. Unknown name {name!r} at 'message'"
        )
    if sum(1 for target in ("token", "topic", "condition") if message.get(target)) != 1:
        return _bad_request("message", "Exactly one of token, topic or condition must be set")
    for index, (name, value) in enumerate((message.get("data") or {}).items()):
        if not isinstance(value, str):
            return _bad_request(
                f"message.data[{index}].value",
                f"Invalid value at 'message.data[{index}].value' (TYPE_STRING), {value!r} for {name!r}",
            )
    notification = message.get("notification")
    if not isinstance(notification, dict) or not all(isinstance(v, str) for v in notification.values()):
        return _bad_request("message.notification", "Invalid value at 'message.notification'")
    if message.get("android", {}).get("priority", "normal") not in ("normal", "high"):
        return _bad_request("message.android.priority", "Invalid value at 'message.android.priority'")
    headers = message.get("apns", {}).get("headers", {})
    if len(headers.get("apns-collapse-id", "").encode()) > 64:
        return _fcm_error("INVALID_ARGUMENT", "apns-collapse-id is longer than 64 bytes")
    size = len(json.dumps({k: message.get(k) for k in ("notification", "data")}, ensure_ascii=False).encode())
    if size > 4096:
        return _fcm_error("INVALID_ARGUMENT", f"Message is too big ({size} bytes)")
    return None


def _error(status: int, rpc_status: str, message: str, details: list | None = None) -> tuple[int, dict]:
    error = {"code": status, "message": message, "status": rpc_status}
    return status, {"error": error | ({"details": details} if details else {})}


def _fcm_error(code: str, message: str = "") -> tuple[int, dict]:
    status, rpc_status, default = ERRORS[code]
    return _error(status, rpc_status, message or default, [{"@type": FCM_ERROR, "errorCode": code}])


def _bad_request(field: str, description: str) -> tuple[int, dict]:
    violation = {"field": field, "description": description}
    return _error(
        400, "INVALID_ARGUMENT", description, [{"@type": BAD_REQUEST, "fieldViolations": [violation]}]
    )
