"""Development and demo gateway: writes what it would send to the log. The Message row is the record."""

import logging

from messaging.gateways.base import Gateway, OutgoingMessage, SendResult

logger = logging.getLogger("schoolbook.console_gateway")


class ConsoleSmsGateway(Gateway):
    name = "console"
    channel = "sms"

    def send(self, batch: list[OutgoingMessage]) -> list[SendResult]:
        results = []
        for message in batch:
            logger.warning("[console SMS] to %s: %s", message.recipient, message.body)
            results.append(
                SendResult(message.idempotency_key, provider_message_id=f"console-{message.idempotency_key}")
            )
        return results
