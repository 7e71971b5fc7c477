"""Web Push on the parent pages: the browsers' subscriptions (accounts.ContactPoint, channel push, gateway
webpush) and the receipts their service worker sends back once a notification is shown.

A subscription is the platform's, not a school's: one per browser, serving every school of the parent who
is signed in there. The receipt token ties a receipt to one delivery's idempotency key, so the unauthenticated
receipt endpoint can only ever confirm a notification our gateway actually put in a payload. Applying a
receipt and the VAPID key need messaging, which sits above accounts: they are in schoolbook.push with the
pages."""

import base64
import binascii
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from accounts.models import Channel, ContactPoint
from schoolbook.outbound import url_allowed

GATEWAY = "webpush"
SUBSCRIPTION_MAX_BYTES = 4096  # a browser's is ~400 bytes; this keeps junk out of a TextField
ENDPOINT_MAX = 2000  # characters; real endpoints (FCM, Mozilla, Windows, Apple) stay under about 500
DEVICES_MAX = 10  # per person: a parent who keeps changing browsers loses the oldest, never gets an error
RECEIPT_PURPOSE = "schoolbook.push.receipt"
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


class SubscriptionInvalid(ValueError):
    """A subscription we refuse to store; str() is the reason for the page, in the active language."""


@dataclass(frozen=True)
class Subscription:
    endpoint: str
    p256dh: str
    auth: str

    @property
    def address(self) -> str:
        """The stored form: always the same text for the same browser subscription, whatever else the
        browser sent (expirationTime, key order), so the unique (channel, address) finds it again."""
        keys = {"p256dh": self.p256dh, "auth": self.auth}
        return json.dumps({"endpoint": self.endpoint, "keys": keys}, separators=(",", ":"))


def b64url_decode(text: str) -> bytes | None:
    """base64url with or without padding (browsers send it without); None when it is not that."""
    if not isinstance(text, str) or not _B64URL.match(text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None


def subscription_parse(raw: bytes) -> Subscription:
    """The request body of `POST /account/push/`: `PushSubscription.toJSON()`. Refused with a reason when it
    is not one a push service could have issued."""
    if len(raw) > SUBSCRIPTION_MAX_BYTES:
        raise SubscriptionInvalid(gettext("Dữ liệu đăng ký quá lớn."))
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise SubscriptionInvalid(gettext("Dữ liệu gửi lên không phải JSON hợp lệ.")) from None
    if not isinstance(data, dict):
        raise SubscriptionInvalid(gettext("Dữ liệu gửi lên không phải JSON hợp lệ."))
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise SubscriptionInvalid(gettext("Thiếu địa chỉ endpoint của dịch vụ thông báo đẩy."))
    if len(endpoint) > ENDPOINT_MAX:
        raise SubscriptionInvalid(gettext("Địa chỉ endpoint quá dài."))
    _check_endpoint(endpoint)
    keys = data.get("keys")
    if not isinstance(keys, dict) or not keys.get("p256dh") or not keys.get("auth"):
        raise SubscriptionInvalid(gettext("Thiếu khóa p256dh hoặc auth."))
    point = b64url_decode(keys["p256dh"])
    if point is None or len(point) != 65 or point[0] != 4:  # RFC 8291 §3.1: an uncompressed P-256 point
        raise SubscriptionInvalid(gettext("Khóa p256dh không hợp lệ (cần khóa công khai P-256, base64url)."))
    secret = b64url_decode(keys["auth"])
    if secret is None or len(secret) != 16:  # RFC 8291 §3.2: 16 random octets
        raise SubscriptionInvalid(gettext("Khóa auth không hợp lệ (cần 16 byte, base64url)."))
    return Subscription(endpoint=endpoint, p256dh=keys["p256dh"], auth=keys["auth"])


def _check_endpoint(endpoint: str) -> None:
    """Browsers only ever give https URLs of their vendor's push service. The worker POSTs to whatever is
    stored here, so only the hosts of settings.PUSH_SERVICE_HOSTS are accepted (no IP address in any
    spelling, no local name); the gateway checks again, and refuses non-public addresses when it connects."""
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
    except ValueError:
        raise SubscriptionInvalid(gettext("Địa chỉ endpoint không phải URL hợp lệ.")) from None
    if parts.scheme != "https":
        raise SubscriptionInvalid(gettext("Địa chỉ endpoint phải dùng https://."))
    if not url_allowed(endpoint, settings.PUSH_SERVICE_HOSTS):
        raise SubscriptionInvalid(gettext("Địa chỉ endpoint không phải của một dịch vụ thông báo đẩy."))


# --- services ----------------------------------------------------------------------------------------


def push_subscription_save(*, user, subscription: Subscription, user_agent: str = "") -> ContactPoint:
    """Store this browser's subscription for `user`, or take it back into use: a subscription a gateway had
    marked bad is good again (the browser just gave it to us), and one stored for someone else moves to
    `user` (the same browser, now signed in as another person: only they should get its notifications).
    Beyond DEVICES_MAX, the user's subscriptions that stopped working go first, then the oldest."""
    with transaction.atomic():
        point, _ = ContactPoint.objects.update_or_create(
            channel=Channel.PUSH,
            address=subscription.address,
            defaults={
                "user": user,
                "gateway": GATEWAY,
                "label": device_label(user_agent),
                "is_bad": False,
                "bad_reason": "",
                "bad_at": None,
            },
        )
        kept_first = _devices(user).exclude(pk=point.pk).order_by("is_bad", "-created_at", "-pk")
        beyond = list(kept_first.values_list("pk", flat=True)[DEVICES_MAX - 1 :])
        if beyond:
            ContactPoint.objects.filter(pk__in=beyond).delete()
    return point


def push_subscription_delete(*, user, pk: int) -> bool:
    """Remove one of the user's own subscriptions; False when `user` has none with this id."""
    deleted, _ = _devices(user).filter(pk=pk).delete()
    return bool(deleted)


def receipt_token(idempotency_key: str) -> str:
    """HMAC-SHA256 of the key, with a key of its own derived from SECRET_KEY: the gateway puts it in the
    encrypted payload, which only the subscribed browser can read, and the service worker sends it back."""
    return salted_hmac(RECEIPT_PURPOSE, idempotency_key, algorithm="sha256").hexdigest()


# --- selectors ---------------------------------------------------------------------------------------


def _devices(user):
    return ContactPoint.objects.filter(user=user, channel=Channel.PUSH, gateway=GATEWAY)


def devices_of_user(user) -> list[ContactPoint]:
    """The user's browsers, newest first (one query; at most DEVICES_MAX rows, so no pagination)."""
    return list(_devices(user).order_by("-created_at", "-pk"))


def device_endpoint(point: ContactPoint) -> str:
    """The endpoint that identifies the browser, for push.js to recognise the device it runs on."""
    try:
        return json.loads(point.address).get("endpoint", "")
    except (json.JSONDecodeError, AttributeError):
        return ""


# --- "Chrome trên Android" ---------------------------------------------------------------------------

# Order matters: Edge, Opera, Samsung Internet and Cốc Cốc also say "Chrome", and Chrome also says "Safari".
_BROWSERS = [
    ("coc_coc_browser", "Cốc Cốc"),
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("Zalo", "Zalo"),
    ("Firefox/", "Firefox"),
    ("FxiOS", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
]
_SYSTEMS = [
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("Linux", "Linux"),
]


def device_label(user_agent: str) -> str:
    """What the parent's device list calls a browser: "Chrome trên Android", from its User-Agent."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return gettext("%(browser)s trên %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Trình duyệt không rõ")
