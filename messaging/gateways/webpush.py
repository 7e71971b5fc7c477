"""Web Push (RFC 8030 delivery, RFC 8291 payload encryption, RFC 8292 VAPID) through pywebpush.

The recipient is the browser's PushSubscription as JSON text. Push services offer no idempotency key, so
ours is used twice: as the notification `tag` in the payload (the service worker passes it to
showNotification, and a device shows one notification per tag) and, hashed, as the RFC 8030 `Topic`
header (a push service keeps only the newest pending message per topic for an offline device).

Delivery is reported by the browser itself: the payload carries a `receipt` token (accounts.push) that
our service worker posts back to /push/receipt/ with the key once it has shown the notification.
"""

import base64
import hashlib
import json

import requests
from django.conf import settings
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush

from accounts.push import b64url_decode, receipt_token
from messaging.gateways.base import GatewayError, OutgoingMessage, SendResult
from messaging.gateways.http import HttpGateway
from schoolbook.outbound import NonPublicAddress, public_only_session, url_allowed

# RFC 8291 leaves about 3,990 bytes for the payload and push services answer 413 beyond it; the
# notification shows a few lines and opens `url` for the rest, so a long notice is cut rather than lost.
BODY_MAX = 1000  # characters: up to 3 bytes each in UTF-8 Vietnamese, with room for the title and url
GONE = (404, 410)  # RFC 8030 §7.3: the subscription expired or was cancelled, it will never work again
TRANSIENT = (408, 425, 429)  # plus every 5xx: the push service asks us to come back later


class SubscriptionGone(GatewayError):
    """The subscription no longer exists: the pipeline deletes it instead of retrying it."""

    def __init__(self, message: str):
        super().__init__(message, recipient=True)


class WebPushGateway(HttpGateway):
    name = "webpush"
    channel = "push"
    reports_delivery = True  # our service worker's receipt, so an unseen push can fall back in time

    @classmethod
    def is_configured(cls) -> bool:
        return bool(settings.GATEWAYS.get("webpush", {}).get("vapid_private_key"))

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        try:
            vapid = Vapid.from_string(self.options["vapid_private_key"])
        except ValueError as exc:
            error = GatewayError(f"web push is not configured: bad VAPID private key ({exc})", permanent=True)
            return [SendResult(message.idempotency_key, error=error) for message in batch]
        # One pooled connection per push service for the whole batch, to public addresses only: its own
        # session, not the gateways' shared one, because it checks every address it connects to.
        with public_only_session(settings.PUSH_TEST_ORIGINS) as session:
            return [self._send_one(session, vapid, message) for message in batch]

    def transport_error(self, exc: requests.RequestException) -> GatewayError:
        """Timeouts, refused or dropped connections: transient."""
        return GatewayError(f"push service unavailable: {exc.__class__.__name__}: {exc}", permanent=False)

    def _send_one(self, session, vapid, message: OutgoingMessage) -> SendResult:
        key = message.idempotency_key
        try:
            subscription = parse_subscription(message.recipient)
        except ValueError as exc:
            return SendResult(key, error=GatewayError(f"invalid push subscription: {exc}", permanent=True))
        if not url_allowed(subscription["endpoint"], settings.PUSH_SERVICE_HOSTS, settings.PUSH_TEST_ORIGINS):
            # Stored before the host list existed, or by hand: never requested (SSRF); the point is bad.
            error = GatewayError("push endpoint is not on a known push service", recipient=True)
            return SendResult(key, error=error)
        payload = json.dumps(
            {
                "title": message.title,
                "body": _shorten(message.body),
                "url": message.link,
                "tag": key,
                "receipt": receipt_token(key),
            },
            ensure_ascii=False,
        )
        claims = {
            "sub": self.options["vapid_subject"]
        }  # a new dict each call: pywebpush writes aud and exp into it
        try:
            response = webpush(
                subscription,
                data=payload,
                vapid_private_key=vapid,
                vapid_claims=claims,
                ttl=int(self.options["ttl"]),
                timeout=self.timeout,
                headers={"Topic": topic(key)},
                requests_session=session,
            )
        except WebPushException as exc:
            return SendResult(key, error=_classify(exc))
        except NonPublicAddress as exc:  # the name resolved to our own network when we connected
            return SendResult(key, error=GatewayError(f"push endpoint refused: {exc}", recipient=True))
        except requests.RequestException as exc:
            return SendResult(key, error=self.transport_error(exc))
        except VapidException as exc:  # a vapid_subject that is neither mailto: nor https:
            return SendResult(key, error=GatewayError(f"web push is not configured: {exc}", permanent=True))
        except ValueError as exc:  # p256dh is not a point on the curve: encryption is impossible
            return SendResult(key, error=GatewayError(f"invalid push subscription: {exc}", permanent=True))
        # RFC 8030 §5: 201 Created with the message's resource in Location.
        return SendResult(key, provider_message_id=response.headers.get("Location", ""))


def parse_subscription(text: str) -> dict:
    """The PushSubscription JSON the browser gave us, checked enough that a broken one fails permanently."""
    try:
        subscription = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    endpoint = subscription.get("endpoint") if isinstance(subscription, dict) else None
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        raise ValueError("no endpoint URL")
    keys = subscription.get("keys")
    if not isinstance(keys, dict) or not all(isinstance(keys.get(name), str) for name in ("p256dh", "auth")):
        raise ValueError("missing keys p256dh and auth")
    raw = b64url_decode(keys["p256dh"]) or b""
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("p256dh is not an uncompressed P-256 public key")
    return {"endpoint": endpoint, "keys": {"p256dh": keys["p256dh"], "auth": keys["auth"]}}


def _shorten(body: str) -> str:
    return body if len(body) <= BODY_MAX else body[: BODY_MAX - 1] + "…"


def topic(idempotency_key: str) -> str:
    """RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet, whatever our key looks like."""
    digest = hashlib.sha256(idempotency_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:32]


def _classify(exc: WebPushException) -> GatewayError:
    status = exc.status_code
    if status is None:  # raised before anything was sent: the subscription could not be used
        return GatewayError(f"invalid push subscription: {exc.message}", permanent=True)
    reply = f"{status} {exc.response.reason}" + (f": {exc.response.text[:200]}" if exc.response.text else "")
    if status in GONE:
        return SubscriptionGone(f"subscription gone: {reply}")
    if status in TRANSIENT or status >= 500:
        retry_after = f" (Retry-After {exc.retry_after})" if exc.retry_after else ""
        return GatewayError(f"push service busy: {reply}{retry_after}", permanent=False)
    # 400 malformed, 401/403 VAPID rejected, 413 payload too large: sending the same again cannot succeed.
    return GatewayError(f"push service refused: {reply}", permanent=True)
