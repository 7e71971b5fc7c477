"""The one interface every provider adapter implements."""

from dataclasses import dataclass


class GatewayError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


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


class ReceiptRejected(Exception):
    """A receipt request that is not from the provider (bad signature): answer 403, change nothing."""


class Gateway:
    name: str = ""
    channel: str = ""

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        """One result per message, in order; transient errors as GatewayError(permanent=False)."""
        raise NotImplementedError

    def parse_receipt(self, request) -> list[Receipt]:
        """The receipts in a provider's webhook request; ReceiptRejected when it is not signed right."""
        raise ReceiptRejected(f"{self.name} sends no receipts")
