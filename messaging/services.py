"""The one messaging interface the rest of Schoolbook calls, and the sending side the worker runs.

Rows are written in the caller's transaction (outbox); the worker is told only after commit, so a
rolled-back cause sends nothing. The worker gets Delivery ids in batches, claims them with one UPDATE (a
duplicated task finds nothing left to claim), takes tokens from the gateway's bucket, sends the batch and
records each result: sent, back to queued for a retry with backoff (transient), or failed with the reason
(permanent; falling back to the next channel belongs to the school's channel order, a later slice)."""

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tenants.utils import schema_context

from messaging.gateways.base import OutgoingMessage, Receipt, ReceiptStatus
from messaging.gateways.registry import get_gateway
from messaging.models import Channel, Delivery, Message
from messaging.ratelimit import TokenBucket

BACKOFF_CAP_SECONDS = 600
logger = logging.getLogger("schoolbook.messaging")


def gateway_name(channel: str) -> str:
    """The gateway that carries `channel` until schools choose their own."""
    names = {Channel.SMS: settings.SMS_GATEWAY, Channel.EMAIL: "email", Channel.PUSH: "webpush"}
    try:
        return names[channel]
    except KeyError:
        raise LookupError(f"No gateway carries the {channel!r} channel yet") from None


def messages_send(
    *, purpose: str, items: list[tuple[str, str]], urgent: bool = False, channel: str = Channel.SMS
) -> list[Message]:
    """One Message and one Delivery per (recipient, body), written with two INSERTs whatever the number of
    items; after commit, one task per MESSAGING_BATCH_SIZE deliveries (the urgent queue when `urgent`)."""
    if not items:
        return []
    gateway = gateway_name(channel)
    messages = Message.objects.bulk_create(
        Message(purpose=purpose, recipient=recipient, body=body, urgent=urgent) for recipient, body in items
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(message=message, channel=channel, gateway=gateway, address=message.recipient)
        for message in messages
    )
    _dispatch_on_commit([delivery.pk for delivery in deliveries], urgent)
    return messages


def message_send(
    *, purpose: str, recipient: str, body: str, channel: str = Channel.SMS, urgent: bool = False
) -> Message:
    (message,) = messages_send(purpose=purpose, items=[(recipient, body)], urgent=urgent, channel=channel)
    return message


def _dispatch_on_commit(ids: list[int], urgent: bool) -> None:
    """The task carries the schema that is current when it is sent (tenant-schemas-celery): pin it to the
    caller's, in case the commit happens after the caller has left its school's schema."""
    from messaging.tasks import deliver_batch, deliver_urgent_batch

    task = deliver_urgent_batch if urgent else deliver_batch
    schema = connection.schema_name
    size = settings.MESSAGING_BATCH_SIZE

    def dispatch():
        with schema_context(schema):
            for start in range(0, len(ids), size):
                task.delay(ids[start : start + size])

    transaction.on_commit(dispatch)


def deliveries_claim(ids: list[int]) -> list[Delivery]:
    """Atomically take the queued ones among `ids` for sending: one UPDATE … RETURNING, so of two workers
    running the same task only one gets each delivery, and the other sends nothing."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status = %s, claimed_at = %s"
            " WHERE id = ANY(%s) AND status = %s RETURNING id",
            [Delivery.Status.SENDING, timezone.now(), list(ids), Delivery.Status.QUEUED],
        )
        claimed = [row[0] for row in cursor.fetchall()]
    if not claimed:
        return []
    return list(Delivery.objects.filter(pk__in=claimed).select_related("message").order_by("pk"))


@dataclass(frozen=True)
class SendOutcome:
    """What the task should do next: send `retry_ids` again after `countdown` seconds (none: done)."""

    retry_ids: list[int]
    countdown: float = 0.0


def delivery_key(pk: int, schema: str | None = None) -> str:
    """The idempotency key a provider gets for a delivery: its id within its schema. Ids are per schema and
    schools share provider accounts, so a bare id would make one school's message a "duplicate" of
    another's (eSMS answers 124 and never sends it)."""
    return f"{schema or connection.schema_name}-{pk}"


def delivery_pk(key: str) -> int | None:
    """The id of one of this schema's deliveries from its idempotency key; None for anything else."""
    prefix = f"{connection.schema_name}-"
    rest = key[len(prefix) :] if key.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter, so deliveries that failed together do not all come back together."""
    delay = settings.MESSAGING_BACKOFF_BASE_SECONDS * 2**attempts
    return min(BACKOFF_CAP_SECONDS, delay) * random.uniform(0.5, 1.0)


def deliveries_send(ids: list[int]) -> SendOutcome:
    """Claim, rate-limit, send and record the deliveries `ids` (normally one gateway's batch). A worker that
    dies between claim and record leaves them in `sending`: deliveries_recover_stale gives them back."""
    claimed = deliveries_claim(ids)
    by_gateway: dict[str, list[Delivery]] = {}
    for delivery in claimed:
        by_gateway.setdefault(delivery.gateway, []).append(delivery)
    retry_ids: list[int] = []
    countdown = 0.0
    for name, deliveries in by_gateway.items():
        ready, wait = _take_tokens(name, deliveries)
        if wait:
            waiting = deliveries[len(ready) :]
            _release(waiting)
            retry_ids += [d.pk for d in waiting]
            countdown = max(countdown, wait)
        if ready:
            retry = _send(name, ready)
            retry_ids += [d.pk for d in retry]
            if retry:
                countdown = max(countdown, backoff(max(d.attempts for d in retry)))
    return SendOutcome(sorted(retry_ids), countdown)


def _take_tokens(name: str, deliveries: list[Delivery]) -> tuple[list[Delivery], float]:
    """The leading deliveries the gateway's bucket allows now (in chunks of at most its burst), and the
    seconds to wait for the rest (0.0 when all may go). A gateway without a configured rate is not limited."""
    options = settings.GATEWAYS.get(name) or {}
    if "rate_per_second" not in options:
        return deliveries, 0.0
    bucket = TokenBucket(f"gateway:{name}", options["rate_per_second"], options["burst"])
    ready = 0
    while ready < len(deliveries):
        chunk = min(bucket.burst, len(deliveries) - ready)
        wait = bucket.take(chunk)
        if wait:
            return deliveries[:ready], wait
        ready += chunk
    return deliveries, 0.0


def _release(deliveries: list[Delivery]) -> None:
    """Give claimed deliveries back untouched (not an attempt): they wait for tokens, not for the provider."""
    Delivery.objects.filter(pk__in=[d.pk for d in deliveries], status=Delivery.Status.SENDING).update(
        status=Delivery.Status.QUEUED, claimed_at=None
    )


def _send(name: str, deliveries: list[Delivery]) -> list[Delivery]:
    """Send one batch and record each result with one UPDATE; returns the deliveries to retry."""
    gateway = get_gateway(name)
    batch = [OutgoingMessage(delivery_key(d.pk), d.address, d.message.body) for d in deliveries]
    results = {result.idempotency_key: result for result in gateway.send(batch)}
    now = timezone.now()
    retry = []
    for delivery in deliveries:
        result = results[delivery_key(delivery.pk)]
        delivery.attempts += 1
        if result.error is None:
            delivery.status, delivery.sent_at, delivery.error = Delivery.Status.SENT, now, ""
            delivery.provider_message_id = result.provider_message_id
        elif result.error.permanent or delivery.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
            delivery.status, delivery.error = Delivery.Status.FAILED, str(result.error)
        else:
            delivery.status, delivery.claimed_at, delivery.error = (
                Delivery.Status.QUEUED,
                None,
                str(result.error),
            )
            retry.append(delivery)
    Delivery.objects.bulk_update(
        deliveries, ["attempts", "status", "claimed_at", "sent_at", "provider_message_id", "error"]
    )
    return retry


def deliveries_recover_stale(now=None) -> list[int]:
    """In the current schema: claims older than MESSAGING_CLAIM_TIMEOUT_SECONDS belong to a worker that died
    (a live one records its results within the gateways' timeouts); put them back in the queue and dispatch
    them again. The timeout must exceed the longest a batch can take to send (its messages times the
    gateway's timeout); past that, a worker still alive could send twice, harmless only with providers that
    deduplicate by the idempotency key (the Delivery id)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.MESSAGING_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic():
        stale = Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=Delivery.Status.SENDING, claimed_at__lt=cutoff
        )
        rows = list(stale.values_list("pk", "message__urgent"))
        Delivery.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=Delivery.Status.QUEUED, claimed_at=None
        )
        for urgent in (True, False):
            ids = sorted(pk for pk, is_urgent in rows if is_urgent == urgent)
            if ids:
                _dispatch_on_commit(ids, urgent)
    return sorted(pk for pk, _ in rows)


def deliveries_apply_receipts(receipts: list[Receipt], *, gateway: str) -> int:
    """Apply a provider's delivery reports in the current schema; returns the number of deliveries changed.

    Only a `sent` delivery moves (to delivered, or to failed with the reason): a replayed report finds it
    already moved and changes nothing, and a late "failed" never takes back a "delivered". A delivery is
    found by our idempotency key (schema and id: another schema's key is not ours) or by the provider's id,
    and only among this gateway's; a report whose key and provider id contradict each other is ignored
    rather than trusted. One locking SELECT, one UPDATE."""
    keys = {pk for r in receipts if (pk := delivery_pk(r.idempotency_key)) is not None}
    provider_ids = {r.provider_message_id for r in receipts if r.provider_message_id}
    if not keys and not provider_ids:
        return 0
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(
            Q(pk__in=keys) | Q(provider_message_id__in=provider_ids), gateway=gateway
        )
        by_key = {delivery_key(d.pk): d for d in rows}
        by_provider_id = {d.provider_message_id: d for d in by_key.values() if d.provider_message_id}
        changed = {}
        for receipt in receipts:
            delivery = _receipt_delivery(receipt, by_key, by_provider_id)
            if delivery is None:
                logger.warning("%s receipt for no delivery of ours here: %s", gateway, receipt)
            elif delivery.status == Delivery.Status.SENT:
                if receipt.status == ReceiptStatus.FAILED:
                    delivery.status = Delivery.Status.FAILED
                    delivery.error = receipt.error or "the provider reported it undelivered"
                else:  # delivered, or read (which implies delivered)
                    delivery.status = Delivery.Status.DELIVERED
                # An earlier attempt's duplicate answer (eSMS 124) left us without the provider's id.
                delivery.provider_message_id = delivery.provider_message_id or receipt.provider_message_id
                changed[delivery.pk] = delivery
        if changed:
            Delivery.objects.bulk_update(changed.values(), ["status", "error", "provider_message_id"])
    return len(changed)


def _receipt_delivery(receipt: Receipt, by_key: dict, by_provider_id: dict) -> Delivery | None:
    """The delivery a receipt speaks of, when its key and provider id do not contradict each other."""
    delivery = by_key.get(receipt.idempotency_key) or by_provider_id.get(receipt.provider_message_id)
    if delivery is None:
        return None
    if receipt.idempotency_key and receipt.idempotency_key != delivery_key(delivery.pk):
        return None
    ours, theirs = delivery.provider_message_id, receipt.provider_message_id
    if ours and theirs and ours != theirs:
        return None
    return delivery
