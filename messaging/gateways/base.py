"""The one interface every provider adapter implements."""

from dataclasses import dataclass


class GatewayError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class OutgoingMessage:
    idempotency_key: str  # our message id: providers that dedupe (eSMS RequestId, ZNS tracking_id) get it
    recipient: str
    body: str


@dataclass(frozen=True)
class SendResult:
    idempotency_key: str
    provider_message_id: str = ""
    error: GatewayError | None = None


class Gateway:
    name: str = ""
    channel: str = ""

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        raise NotImplementedError
