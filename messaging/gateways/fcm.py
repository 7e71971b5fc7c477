"""Firebase Cloud Messaging HTTP v1, for the mobile app: one POST per message to
`{url}/v1/projects/{project_id}/messages:send`, the recipient being the app's FCM registration token.

Authorisation (Google's OAuth 2.0 for service accounts): the service account's JSON key file gives
`client_email`, `private_key` (PEM) and `token_uri`. We sign an RS256 JWT (iss = client_email, scope =
firebase.messaging, aud = token_uri, valid one hour, Google's maximum) with PyJWT and trade it at
token_uri (grant type jwt-bearer) for an access token of about an hour. The token is cached in process
memory per service account (`_TOKENS`): each worker process asks Google about once an hour, and a restarted
worker simply asks again, so nothing needs storing. A cached token is used only while it has more than
REFRESH_MARGIN left, so it cannot expire in the middle of a batch; if FCM still answers 401 (a key revoked,
a token cut short), the batch fetches a new token once and sends that message again (a 401 means nothing was
sent, so the repeat cannot duplicate).

FCM has no idempotency key, so ours travels three ways: as `data.key` (the app can drop a message it has
seen), as `android.notification.tag` (Android shows one notification per tag: a second copy replaces the
first) and as the `apns-collapse-id` header (iOS shows copies with the same id as one). A retry after a lost
answer may therefore reach the device twice but shows once. Android's `collapse_key` is left unset on
purpose: FCM keeps at most four collapse keys per offline device and drops the rest at random, so a unique
key per message would lose notices sent while a phone is off.

Errors (Google's `{error: {code, status, message, details: [{@type: …FcmError, errorCode}]}}`):
- UNREGISTERED (404), and INVALID_ARGUMENT (400) about the registration token (its message says so, or a
  BadRequest names `message.token`): the token will never work again (app uninstalled, token rotated):
  `recipient=True`, the pipeline forgets it. Only FCM's own error code counts: a bare 404 from a wrong
  FCM_URL must not make us forget every parent's phone, nor a 400 about our payload a good token.
- 401: the access token is refused: fetch a new one once per batch and repeat the message; refused again,
  or THIRD_PARTY_AUTH_ERROR (Apple or the web push service refused our app's credentials), is permanent.
- SENDER_ID_MISMATCH, PERMISSION_DENIED (403) and any other 4xx: permanent account or configuration faults,
  never the recipient's: with a wrong project every token mismatches, and all of them must not be forgotten.
- 429 QUOTA_EXCEEDED, 5xx (INTERNAL, UNAVAILABLE), timeouts and connection failures: transient. FCM's error
  code reference (https://firebase.google.com/docs/reference/fcm/rest/v1/ErrorCode) asks, for
  QUOTA_EXCEEDED, for "exponential backoff with a minimum initial delay of 1 minute", and for UNAVAILABLE
  to honour the Retry-After header with exponential backoff: for those two (and any bare 429 or 503) the
  error carries `retry_after` = the longer of QUOTA_BACKOFF_SECONDS and Retry-After (seconds or an
  HTTP-date, RFC 9110 §10.2.3), which the pipeline's retry waits at least; INTERNAL keeps the pipeline's
  own backoff, or waits Retry-After when FCM sends one.
"""

import json
import os
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from messaging.gateways.base import GatewayError, OutgoingMessage, SendResult
from messaging.gateways.http import HttpGateway
from messaging.gateways.webpush import topic

DEFAULT_URL = "https://fcm.googleapis.com"
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ASSERTION_SECONDS = 3600  # Google refuses assertions valid for longer
# A cached token with less left than this is replaced before a batch starts: longer than a batch can take
# (MESSAGING_CLAIM_TIMEOUT_SECONDS), so it never expires half-way through one.
REFRESH_MARGIN = 300
# FCM refuses messages over 4096 bytes. A Vietnamese character takes up to 3 bytes in UTF-8: 1,000 for the
# body and 100 for the title leave room for the link, the key and FCM's own fields; the app opens the link
# for the whole text.
BODY_MAX, TITLE_MAX = 1000, 100
APNS_COLLAPSE_ID_MAX = 64  # bytes, Apple's limit for apns-collapse-id
ERROR_MAX = 300  # characters of a provider's answer kept in Delivery.error
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
TRANSIENT_CODES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE", "INTERNAL"})
THROTTLED_CODES, THROTTLED_STATUSES = frozenset({"QUOTA_EXCEEDED", "UNAVAILABLE"}), frozenset({429, 503})
QUOTA_BACKOFF_SECONDS = 60  # FCM: "a minimum initial delay of 1 minute"

# (token_uri, client_email) → (access token, monotonic time until which a batch may start with it)
_TOKENS: dict[tuple[str, str], tuple[str, float]] = {}


@dataclass(frozen=True)
class ServiceAccount:
    client_email: str
    private_key: str  # PEM
    private_key_id: str
    token_uri: str

    @classmethod
    def load(cls, path: str) -> "ServiceAccount":
        """The key file as Google issues it; a missing or broken one is a permanent fault of our setup."""
        try:
            with open(path, encoding="utf-8") as file:
                key = json.load(file)
        except (OSError, ValueError) as exc:
            raise GatewayError(
                f"FCM is not configured: cannot read the service account file ({exc})", permanent=True
            ) from None
        fields = ("client_email", "private_key", "token_uri")
        if not isinstance(key, dict) or not all(isinstance(key.get(f), str) and key[f] for f in fields):
            raise GatewayError(
                f"FCM is not configured: the service account file lacks {', '.join(fields)}", permanent=True
            )
        return cls(
            key["client_email"], key["private_key"], str(key.get("private_key_id") or ""), key["token_uri"]
        )

    def assertion(self, now: int) -> str:
        """The signed JWT that token_uri trades for an access token."""
        try:
            key = serialization.load_pem_private_key(self.private_key.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise GatewayError(
                f"FCM is not configured: unusable private key ({exc})", permanent=True
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise GatewayError("FCM is not configured: the private key is not an RSA key", permanent=True)
        claims = {
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_SECONDS,
        }
        headers = {"kid": self.private_key_id} if self.private_key_id else None
        return jwt.encode(claims, key, algorithm="RS256", headers=headers)


class _Credentials:
    """The access token for one batch: the cached one, or a new one fetched before the first message (so a
    token endpoint that is down fails the batch with one request, not one per message); `refresh()` once
    after a 401. Once fetching fails, the rest of the batch fails with the same error without a request."""

    def __init__(self, gateway: "FcmGateway", account: ServiceAccount):
        self.gateway, self.account = gateway, account
        self.cache_key = (account.token_uri, account.client_email)
        self.refreshed = False
        self.failure: GatewayError | None = None
        token, usable_until = _TOKENS.get(self.cache_key, ("", 0.0))
        self.current = token if usable_until > time.monotonic() else self._fetch()

    def token(self) -> str:
        if self.failure:
            raise self.failure
        return self.current

    def refresh(self) -> bool:
        """A new token after a 401; False when this batch already had one (a fresh token refused)."""
        if self.refreshed:
            return False
        self.refreshed = True
        _TOKENS.pop(self.cache_key, None)
        self.current = self._fetch()
        return True

    def _fetch(self) -> str:
        try:
            token, lifetime = _fetch_token(self.gateway, self.account)
        except GatewayError as error:
            self.failure = error
            raise
        _TOKENS[self.cache_key] = (token, time.monotonic() + lifetime - REFRESH_MARGIN)
        return token


class FcmGateway(HttpGateway):
    name = "fcm"
    channel = "push"

    @classmethod
    def is_configured(cls) -> bool:
        options = settings.GATEWAYS.get("fcm", {})
        path = options.get("service_account_file") or ""
        return bool(options.get("project_id")) and os.path.isfile(path) and os.access(path, os.R_OK)

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        base = (self.options.get("url") or DEFAULT_URL).rstrip("/")
        url = f"{base}/v1/projects/{self.options.get('project_id')}/messages:send"
        try:
            credentials = _Credentials(
                self, ServiceAccount.load(self.options.get("service_account_file") or "")
            )
        except GatewayError as error:
            return [SendResult(message.idempotency_key, error=error) for message in batch]
        return [self._send_one(credentials, url, message) for message in batch]

    def transport_error(self, exc: requests.RequestException) -> GatewayError:
        """A timeout or a failed connection is transient (FCM may take the same message later)."""
        if isinstance(exc, requests.Timeout):
            return GatewayError(f"FCM: no answer within {self.timeout:g} s", permanent=False)
        return GatewayError(f"FCM: connection failed: {exc.__class__.__name__}: {exc}", permanent=False)

    def _send_one(self, credentials: _Credentials, url: str, message: OutgoingMessage) -> SendResult:
        key = message.idempotency_key
        payload = {"message": fcm_message(message)}
        try:
            response = self.post(url, json=payload, headers=_bearer(credentials.token()))
            if (
                response.status_code == 401
                and _google_error(response)[0] != "THIRD_PARTY_AUTH_ERROR"
                and credentials.refresh()
            ):
                response = self.post(url, json=payload, headers=_bearer(credentials.token()))
        except GatewayError as error:
            return SendResult(key, error=error)
        if response.status_code == 200:  # {"name": "projects/<project>/messages/<id>"}
            return SendResult(key, provider_message_id=str(_reply_json(response).get("name") or ""))
        return SendResult(key, error=_classify(response))


def fcm_message(message: OutgoingMessage) -> dict:
    """The HTTP v1 `message` for one notification (data values must all be strings)."""
    key = message.idempotency_key
    notification = {"body": _cut(message.body, BODY_MAX)}
    if message.title:
        notification["title"] = _cut(message.title, TITLE_MAX)
    return {
        "token": message.recipient,
        "notification": notification,
        "data": {"key": key, "link": message.link},
        # High priority wakes a dozing Android phone; Android allows it for messages that show a notification.
        "android": {"priority": "high", "notification": {"tag": key}},
        "apns": {"headers": {"apns-collapse-id": apns_collapse_id(key)}},
        "webpush": {"notification": {"tag": key}},  # a token from the web SDK: the browser's tag, as Web Push
    }


def apns_collapse_id(key: str) -> str:
    """Our key when it fits Apple's 64 bytes (it does unless a schema name is very long), else the same
    32-character digest Web Push uses as its Topic."""
    return key if len(key.encode()) <= APNS_COLLAPSE_ID_MAX else topic(key)


def _fetch_token(gateway: FcmGateway, account: ServiceAccount) -> tuple[str, float]:
    """(access token, seconds it lives) from the service account's token_uri."""
    data = {"grant_type": GRANT_TYPE, "assertion": account.assertion(int(time.time()))}
    response = gateway.post(account.token_uri, data=data)
    reply = _reply_json(response)
    if response.status_code != 200:
        # RFC 6749 §5.2: {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}: a deleted
        # key, a disabled account or a wrong clock needs a person; 5xx and 429 pass.
        detail = " ".join(str(reply.get(name) or "") for name in ("error", "error_description")).strip()
        status = response.status_code
        raise GatewayError(
            f"FCM access token refused: HTTP {status} {detail or _text(response)}".strip(),
            permanent=status < 500 and status not in (408, 429),
        )
    token, lifetime = reply.get("access_token"), reply.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(lifetime, int | float):
        raise GatewayError(f"FCM access token: unreadable reply {_text(response)}", permanent=False)
    return token, float(lifetime)


def _classify(response: requests.Response) -> GatewayError:
    """The GatewayError for a send FCM did not accept (see the module docstring)."""
    code, message, fields = _google_error(response)
    status = response.status_code
    text = f"FCM {status} {code}: {message}" if code else f"FCM HTTP {status}: {message}"
    if code == "UNREGISTERED":
        return GatewayError(f"{text} (the app was uninstalled or its token replaced)", recipient=True)
    if code == "INVALID_ARGUMENT" and ("message.token" in fields or "registration token" in message.lower()):
        return GatewayError(text, recipient=True)
    if code in THROTTLED_CODES or status in THROTTLED_STATUSES:
        wait = max(QUOTA_BACKOFF_SECONDS, retry_after(response))
        return GatewayError(f"{text} (retry in {wait:g} s)", retry_after=wait, attempt=True)
    if code in TRANSIENT_CODES or status >= 500 or status in (408, 429):
        return GatewayError(text, retry_after=retry_after(response), attempt=True)
    if status == 401:
        return GatewayError(
            f"{text} (check the service account and the app's APNs / web push keys)", permanent=True
        )
    return GatewayError(text, permanent=True)


def retry_after(response: requests.Response) -> float:
    """The seconds Retry-After asks for (delay-seconds or an HTTP-date); 0 when absent or unreadable."""
    value = (response.headers.get("Retry-After") or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return 0.0
    if when.tzinfo is None:  # an HTTP-date is GMT
        return 0.0
    return max(0.0, when.timestamp() - time.time())


def _google_error(response: requests.Response) -> tuple[str, str, set[str]]:
    """(FCM errorCode, else the status; message; fields named by BadRequest violations) of an error reply."""
    error = _reply_json(response).get("error")
    if not isinstance(error, dict):
        return "", _text(response), set()
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    fcm_code = next((str(d.get("errorCode") or "") for d in details if d.get("@type") == FCM_ERROR_TYPE), "")
    fields = {
        str(violation.get("field"))
        for detail in details
        if detail.get("@type") == BAD_REQUEST_TYPE
        for violation in detail.get("fieldViolations") or []
        if isinstance(violation, dict)
    }
    message = _cut(str(error.get("message") or ""), ERROR_MAX)
    return fcm_code or str(error.get("status") or ""), message, fields


def _reply_json(response: requests.Response) -> dict:
    try:
        reply = response.json()
    except ValueError:
        return {}
    return reply if isinstance(reply, dict) else {}


def _text(response: requests.Response) -> str:
    return _cut(response.text.strip(), ERROR_MAX)


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
