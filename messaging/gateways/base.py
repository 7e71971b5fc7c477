"""The one interface every provider adapter implements."""

from dataclasses import dataclass


class GatewayError(Exception):
    """A send that failed. `permanent`: retrying will not help (fall back to the next channel).
    `recipient`: the fault is the recipient's address itself (a wrong number, a gone push subscription, a
    refused mailbox), so the pipeline may mark that contact point; account faults (balance, keys,
    brandname) are permanent but never the parent's fault. `retry_after`: the provider asked us not to come
    back for at least these seconds (FCM's quota, a Retry-After header): the retry waits that long."""

    def __init__(
        self, message: str, *, permanent: bool = False, recipient: bool = False, retry_after: float = 0.0
    ):
        super().__init__(message)
        self.permanent = permanent or recipient
        self.recipient = recipient
        self.retry_after = retry_after


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
