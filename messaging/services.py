"""The one messaging interface the rest of Schoolbook calls. Rows are written in the caller's transaction
(outbox); the worker is told only after commit, so a rolled-back cause sends nothing."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from messaging.gateways.base import GatewayError, OutgoingMessage
from messaging.gateways.registry import get_gateway
from messaging.models import Channel, Message


def message_send(
    *, purpose: str, recipient: str, body: str, channel: str = Channel.SMS, urgent: bool = False
) -> Message:
    message = Message.objects.create(
        purpose=purpose, channel=channel, recipient=recipient, body=body, urgent=urgent
    )
    from messaging.tasks import deliver_message, deliver_urgent

    task = deliver_urgent if urgent else deliver_message
    transaction.on_commit(lambda: task.delay(message.pk))
    return message


def message_claim(message_id: int) -> Message | None:
    """Atomically take a queued message for sending. A duplicated task gets None and sends nothing."""
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, claimed_at=timezone.now()
    )
    return Message.objects.get(pk=message_id) if claimed else None


def message_deliver(message_id: int) -> Message | None:
    message = message_claim(message_id)
    if message is None:
        return None
    gateway = get_gateway(settings.SMS_GATEWAY)
    (result,) = gateway.send([OutgoingMessage(str(message.pk), message.recipient, message.body)])
    message.attempts += 1
    message.gateway = gateway.name
    if result.error is None:
        message.status = Message.Status.SENT
        message.sent_at = timezone.now()
        message.provider_message_id = result.provider_message_id
    elif result.error.permanent:
        message.status = Message.Status.FAILED
        message.error = str(result.error)
    else:
        message.status = Message.Status.QUEUED  # released for the retry
        message.error = str(result.error)
    message.save(update_fields=["attempts", "gateway", "status", "sent_at", "provider_message_id", "error"])
    if message.status == Message.Status.QUEUED:
        raise GatewayError(str(result.error))
    return message
