"""The outbox: the one interface the rest of Schoolbook calls to send a message, and the writing of the
deliveries the worker sends.

Rows are written in the caller's transaction; the worker is told only after commit, so a rolled-back cause
sends nothing. Each Message carries its channel plan (the school's order, narrowed to what the sender
allowed and what the recipient can be reached by, messaging.outbox.selectors.Reach); its first channel gets
Delivery rows at once, the next ones only when the pipeline (messaging.pipeline) finds a channel failed for
good or not delivered within the school's fallback delay."""

from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message, MessagingSettings
from messaging.outbox.selectors import Reach, Recipient, message_recipient
from messaging.quiet_hours import quiet_until
from schoolbook import metrics
from schoolbook.celery import app as celery_app

LIVE = (Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.SENT, Delivery.Status.DELIVERED)


def messages_send(
    *,
    purpose: str,
    items: list[tuple[Recipient | str, str]],
    urgent: bool = False,
    bulk: bool = False,
    emergency: bool = False,
    channels: list[str] | None = None,
    title: str = "",
    link: str = "",
    reference: str = "",
    not_before=None,
) -> list[Message]:
    """One Message per (recipient, body) with its channel plan, and Delivery rows for each one's first
    channel: two INSERTs whatever the number of items. `channels` narrows the school's order (None: all).
    Outside `urgent` and `emergency`, quiet hours hold the deliveries (no task) until they end, and
    `not_before` (an aware time: a teacher's next office hours) until then, whichever is later; otherwise
    one task per MESSAGING_BATCH_SIZE deliveries after commit, on the urgent, bulk or default queue. A
    recipient with no reachable channel still gets a Message (the report names them), with no delivery."""
    if not items:
        return []
    prefs = MessagingSettings.current()
    recipients = [Recipient.of(recipient) for recipient, _ in items]
    reach = Reach(recipients, prefs)
    messages = Message.objects.bulk_create(
        Message(
            purpose=purpose,
            reference=reference,
            recipient=recipient.name or recipient.phone or recipient.email,
            user_id=recipient.user_id,
            phone=recipient.phone,
            email=recipient.email,
            channels=reach.plan(recipient, channels),
            title=title,
            link=link,
            body=body,
            urgent=urgent or emergency,
            bulk=bulk and not (urgent or emergency),
        )
        for recipient, (_, body) in zip(recipients, items, strict=True)
    )
    hold = None if urgent or emergency else _later(_quiet_until(prefs), not_before)
    now = timezone.now()
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            message=message,
            channel=message.channels[0],
            gateway=gateway,
            address=address,
            queued_at=now,
            not_before=hold,
        )
        for message, recipient in zip(messages, recipients, strict=True)
        if message.channels
        for gateway, address in reach.addresses(recipient, message.channels[0])
    )
    metrics.deliveries_count((d.channel, Delivery.Status.QUEUED) for d in deliveries)
    if hold is None:
        deliveries_dispatch(deliveries)
    return messages


def message_send(
    *, purpose: str, recipient: Recipient | str, body: str, urgent: bool = False, **options
) -> Message:
    (message,) = messages_send(purpose=purpose, items=[(recipient, body)], urgent=urgent, **options)
    return message


def messages_resend(message_ids: list[int]) -> int:
    """ "Resend to failed": every given message none of whose deliveries is live starts over on the first
    channel of its plan still reachable today (a number corrected since, a new subscription). Returns the
    number of new deliveries."""
    now = timezone.now()
    with transaction.atomic():
        messages = list(Message.objects.select_for_update().filter(pk__in=message_ids).order_by("pk"))
        live = set(
            Delivery.objects.filter(message__in=messages, status__in=LIVE).values_list(
                "message_id", flat=True
            )
        )
        retry = [m for m in messages if m.pk not in live]
        reach = Reach([message_recipient(m) for m in retry], MessagingSettings.current())
        created = [d for message in retry for d in first_reachable(message, message.channels, reach, now)]
        created = Delivery.objects.bulk_create(created)
        metrics.deliveries_count((d.channel, Delivery.Status.QUEUED) for d in created)
        deliveries_dispatch(created)
    return len(created)


def first_reachable(message: Message, channels: list[str], reach: Reach, now) -> list[Delivery]:
    """Unsaved deliveries for the first of `channels` the message's recipient can be reached by today."""
    recipient = message_recipient(message)
    for channel in channels:
        addresses = reach.addresses(recipient, channel)
        if addresses:
            return [
                Delivery(message=message, channel=channel, gateway=g, address=a, queued_at=now)
                for g, a in addresses
            ]
    return []


# The worker's task for each queue (messaging.tasks), sent by name: the tasks call the pipeline, which calls
# back here to write fallbacks, so importing them would make a cycle.
TASK_BY_QUEUE = {
    "urgent": "messaging.tasks.deliver_urgent_batch",
    "default": "messaging.tasks.deliver_batch",
    "bulk": "messaging.tasks.deliver_bulk_batch",
}


def _quiet_until(prefs: MessagingSettings):
    return quiet_until(timezone.localtime(), prefs.quiet_hours_start, prefs.quiet_hours_end)


def _later(first, second):
    """The later of two optional times (None: not held)."""
    held = [time for time in (first, second) if time is not None]
    return max(held) if held else None


def _queue(message: Message) -> str:
    return "urgent" if message.urgent else "bulk" if message.bulk else "default"


def deliveries_dispatch(deliveries: list[Delivery]) -> None:
    """One task per batch and queue, after commit. The task carries the schema that is current when it is
    sent (tenant-schemas-celery): pin it to the caller's, in case the commit happens after the caller has
    left its school's schema."""
    by_queue = defaultdict(list)
    for delivery in deliveries:
        by_queue[_queue(delivery.message)].append(delivery.pk)
    schema = connection.schema_name
    size = settings.MESSAGING_BATCH_SIZE

    def dispatch():
        with schema_context(schema):
            for queue, ids in by_queue.items():
                for start in range(0, len(ids), size):
                    celery_app.send_task(
                        TASK_BY_QUEUE[queue], args=[ids[start : start + size]], ignore_result=True
                    )

    if by_queue:
        transaction.on_commit(dispatch)
