"""The one interface every provider adapter implements."""

import json
from dataclasses import dataclass

from django.utils.crypto import salted_hmac

# The options that name the account a gateway sends through (a school's own, or the platform's): whatever
# else its options say (URL, timeouts) does not change whose quota a request spends.
ACCOUNT_FIELDS = ("api_key", "token", "app_id")


def account_key(credentials: dict) -> str:
    """A short, stable name for the provider account in `credentials` (a gateway's options), for keys that
    must be per account (rate limits, quotas): an HMAC, so no secret ever reaches Redis or a log."""
    named = {name: credentials.get(name) or "" for name in ACCOUNT_FIELDS}
    digest = salted_hmac("messaging.gateways.account", json.dumps(named, sort_keys=True), algorithm="sha256")
    return digest.hexdigest()[:16]


def account_bucket_name(gateway: str, options: dict) -> str:
    """The rate-limit bucket of the provider account in a gateway's options (messaging.gateways.ratelimit)."""
    return f"gateway:{gateway}:{account_key(options)}"


class GatewayError(Exception):
    """A send that failed. `permanent`: retrying will not help (fall back to the next channel).
    `recipient`: the fault is the recipient's address itself (a wrong number, a gone push subscription, a
    refused mailbox), so the pipeline may mark that contact point; account faults (balance, keys,
    brandname) are permanent but never the parent's fault. `retry_after`: send again no sooner than that many
    seconds. By itself it means we went too fast (the provider's rate limit, or our bucket for its account):
    not an attempt. With `attempt`, the provider failed and named a wait (FCM's quota minute, Retry-After):
    an attempt, retried no sooner than that."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        recipient: bool = False,
        retry_after: float | None = None,
        attempt: bool = False,
    ):
        super().__init__(message)
        self.permanent = (permanent or recipient) and retry_after is None
        self.recipient = recipient
        self.retry_after = retry_after
        self.attempt = attempt or retry_after is None

    @property
    def throttled(self) -> bool:
        """Not sent because we went too fast: held until `retry_after`, not counted as an attempt."""
        return not self.attempt


@dataclass(frozen=True)
class OutgoingMessage:
    idempotency_key: str  # our message id: providers that dedupe (eSMS RequestId, ZNS tracking_id) get it
    recipient: str  # E.164 phone (SMS, Zalo), e-mail address, or a push subscription / device token
    body: str
    title: str = ""  # e-mail subject, push notification title
    link: str = ""  # push: the page to open


@dataclass(frozen=True)
class SendResult:
    idempotency_key: str
    provider_message_id: str = ""
    error: GatewayError | None = None


class ReceiptStatus:
    DELIVERED, FAILED, READ = "delivered", "failed", "read"


@dataclass(frozen=True)
class Receipt:
    """A provider's word on one message: found by our idempotency key or by the provider's id."""

    status: str  # ReceiptStatus
    idempotency_key: str = ""
    provider_message_id: str = ""
    error: str = ""
    address: str = ""  # the recipient the provider names (E.164), when it does: must be the delivery's


class ReceiptRejected(Exception):
    """A receipt request that is not from the provider (bad signature): answer 403, change nothing."""


class Gateway:
    name: str = ""
    channel: str = ""
    # Whether the provider tells us when a message arrived: only then can "not delivered within N minutes"
    # move a message on to its next channel (a sent e-mail is as far as we will ever know).
    reports_delivery: bool = False
    # Whether the gateway takes its provider's rate-limit tokens itself, per request and account (SpeedSMS:
    # one request carries up to 100 numbers), instead of the pipeline taking one per delivery.
    limits_itself: bool = False

    @classmethod
    def is_configured(cls) -> bool:
        """Whether configuration gives this gateway what it needs; optional channels (Zalo, push) are
        left out of every plan until it does."""
        return True

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        """One result per message, in order; transient errors as GatewayError(permanent=False)."""
        raise NotImplementedError

    def parse_receipt(self, request) -> list[Receipt]:
        """The receipts in a provider's webhook request; ReceiptRejected when it is not signed right."""
        raise ReceiptRejected(f"{self.name} sends no receipts")
