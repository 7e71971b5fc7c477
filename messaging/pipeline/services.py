"""The sending side the worker runs (messaging.tasks): claim, rate-limit, send, record, fall back, sweep.

The worker gets Delivery ids in batches, claims them with one UPDATE (a duplicated task finds nothing left
to claim), takes tokens from the gateway's bucket, sends the batch and records each result: sent, back to
queued for a retry with backoff (transient), or failed (permanent: the contact point is marked when the
address itself is at fault, and the message falls back to its next channel). A sweep per schema, every
minute, releases what quiet hours held, falls back what was not delivered in time, and re-dispatches
deliveries whose task or worker was lost."""

import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ContactPoint
from messaging.delivery_keys import delivery_key
from messaging.gateways.base import OutgoingMessage, account_bucket_name
from messaging.gateways.ratelimit import TokenBucket
from messaging.gateways.registry import gateway_class
from messaging.models import Channel, Delivery, Message, MessagingSettings
from messaging.outbox.selectors import Reach, message_recipient
from messaging.outbox.services import LIVE, deliveries_dispatch, first_reachable
from messaging.provider_accounts.selectors import gateway_for, gateway_options
from messaging.sms_text import sms_normalise
from schoolbook import metrics

BACKOFF_CAP_SECONDS = 600


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


def backoff(attempts: int, *, base: float | None = None, cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Exponential backoff with jitter, so deliveries that failed together do not all come back together.
    `base` defaults to MESSAGING_BACKOFF_BASE_SECONDS (other senders, such as the offices' data links, pass
    their own base and cap)."""
    delay = (settings.MESSAGING_BACKOFF_BASE_SECONDS if base is None else base) * 2 ** min(attempts, 40)
    return min(cap, delay) * random.uniform(0.5, 1.0)


def deliveries_send(ids: list[int]) -> SendOutcome:
    """Claim, rate-limit, send and record the deliveries `ids` (normally one gateway's batch). A worker that
    dies between claim and record leaves them in `sending`: the sweep gives them back."""
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
            retry, waits = _send(name, ready)
            retry_ids += [d.pk for d in retry]
            failed_again = [d.attempts for d in retry if d.pk not in waits]
            if failed_again:
                countdown = max(countdown, backoff(max(failed_again)))
            countdown = max(countdown, *waits.values(), 0.0)
    return SendOutcome(sorted(retry_ids), countdown)


def _take_tokens(name: str, deliveries: list[Delivery]) -> tuple[list[Delivery], float]:
    """The leading deliveries the gateway's bucket allows now (in chunks of at most its burst), and the
    seconds to wait for the rest (0.0 when all may go). A gateway without a configured rate is not limited,
    nor one that limits its requests itself (Gateway.limits_itself). The bucket is the account's (a school's
    own, or the platform's): providers limit each account."""
    options = gateway_options(name)
    if "rate_per_second" not in options or gateway_class(name).limits_itself:
        return deliveries, 0.0
    bucket = TokenBucket(account_bucket_name(name, options), options["rate_per_second"], options["burst"])
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


def _send(name: str, deliveries: list[Delivery]) -> tuple[list[Delivery], dict[int, float]]:
    """Send one batch and record each result with one UPDATE; returns the deliveries to retry, and of those
    the ones the provider asked to wait for, with the seconds (GatewayError.retry_after). Failures for
    good mark the contact point when the address is at fault, then fall back to the next channel."""
    gateway = gateway_for(name)
    prefs = MessagingSettings.current()
    batch = [_outgoing(d, prefs) for d in deliveries]
    started = time.perf_counter()
    try:
        sent = gateway.send(batch)
    except Exception:
        metrics.gateway_errors_count(name, ["exception"] * len(batch))
        raise
    finally:
        metrics.gateway_send_observe(name, time.perf_counter() - started)
    results = {result.idempotency_key: result for result in sent}
    metrics.gateway_errors_count(name, [_error_kind(r.error) for r in sent if r.error is not None])
    now = timezone.now()
    fallback_at = now + timedelta(minutes=prefs.fallback_minutes)
    retry, failed, waits = [], [], {}
    for delivery in deliveries:
        result = results[delivery.provider_key]
        if result.error is not None and result.error.throttled:
            # Held until the provider's "not before" (a rate limit, FCM's quota minute, Retry-After), so the
            # sweep neither sends it early nor loses it; not an attempt.
            delivery.status, delivery.claimed_at, delivery.queued_at = Delivery.Status.QUEUED, None, now
            delivery.not_before = now + timedelta(seconds=result.error.retry_after)
            waits[delivery.pk] = result.error.retry_after
            retry.append(delivery)
            continue
        delivery.attempts += 1
        if result.error is None:
            delivery.status, delivery.sent_at, delivery.error = Delivery.Status.SENT, now, ""
            delivery.provider_message_id = result.provider_message_id
            # Only a channel that reports delivery can be found undelivered in time.
            if gateway.reports_delivery and _next_channels(delivery):
                delivery.fallback_at = fallback_at
        elif result.error.permanent or delivery.attempts >= settings.MESSAGING_MAX_ATTEMPTS:
            delivery.status, delivery.error = Delivery.Status.FAILED, str(result.error)
            failed.append((delivery, result.error.recipient))
        else:
            delivery.status, delivery.claimed_at, delivery.error = (
                Delivery.Status.QUEUED,
                None,
                str(result.error),
            )
            delivery.queued_at = now
            if result.error.retry_after:  # the provider's own "not before" is a floor, not a hint
                delivery.not_before = now + timedelta(seconds=result.error.retry_after)
                waits[delivery.pk] = result.error.retry_after
            retry.append(delivery)
    _record(deliveries)
    metrics.deliveries_count(
        (d.channel, d.status)
        for d in deliveries
        if d.status in (Delivery.Status.SENT, Delivery.Status.FAILED)
    )
    if failed:
        _mark_bad([d for d, recipient_at_fault in failed if recipient_at_fault], now)
        _fall_back([d.message_id for d, _ in failed], now)
    return retry, waits


def _error_kind(error) -> str:
    return "throttled" if error.throttled else "permanent" if error.permanent else "transient"


# What recording a batch's outcomes writes (_send), each delivery's own values.
RECORDED = [
    "provider_key",
    "attempts",
    "status",
    "claimed_at",
    "sent_at",
    "provider_message_id",
    "error",
    "queued_at",
    "fallback_at",
    "not_before",
]


def _record(deliveries: list[Delivery]) -> None:
    """One UPDATE … FROM unnest(one array per column). Django's bulk_update writes, for each column, a CASE
    with one WHEN per row: 400 expressions to build for a batch of 50, and a statement that tests each row
    against every WHEN; it took 87 ms a batch against 4 ms for this, nearly as long as sending the batch
    (bench/fanout.py)."""
    fields = [Delivery._meta.get_field(name) for name in RECORDED]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    cursor_sql = (
        f"UPDATE {quote(Delivery._meta.db_table)} AS d"
        f" SET {', '.join(f'{quote(f.column)} = v.{quote(f.column)}' for f in fields)}"
        f" FROM unnest(%s::bigint[], {', '.join(f'%s::{f.db_type(connection)}[]' for f in fields)})"
        f" AS v(id, {columns}) WHERE d.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            cursor_sql,
            [[d.pk for d in deliveries], *([getattr(d, f.attname) for d in deliveries] for f in fields)],
        )


def _outgoing(delivery: Delivery, prefs: MessagingSettings) -> OutgoingMessage:
    """What a gateway gets: SMS text normalised (and without accents when the school says so, the
    default) because SMS is billed per segment; other channels carry the text as written."""
    message = delivery.message
    body = message.body
    if delivery.channel == Channel.SMS:
        body = sms_normalise(body, prefs.strip_accents)
    delivery.provider_key = delivery_key(delivery.pk)  # recorded with the outcome
    return OutgoingMessage(delivery.provider_key, delivery.address, body, message.title, message.link)


def _next_channels(delivery: Delivery) -> list[str]:
    channels = delivery.message.channels
    return channels[channels.index(delivery.channel) + 1 :] if delivery.channel in channels else []


def _mark_bad(deliveries: list[Delivery], now) -> None:
    """The gateway says these addresses will never work (a wrong number, a gone subscription): remember
    it for every school, so planning skips them until the parent gives a new one."""
    for delivery in deliveries:
        gateway = delivery.gateway if delivery.channel == Channel.PUSH else ""
        values = {"is_bad": True, "bad_reason": delivery.error[:500], "bad_at": now}
        updated = ContactPoint.objects.filter(channel=delivery.channel, address=delivery.address).update(
            **values
        )
        if not updated:
            ContactPoint.objects.get_or_create(
                channel=delivery.channel, address=delivery.address, defaults={"gateway": gateway, **values}
            )


def _fall_back(message_ids: list[int], now, *, undelivered_before=None) -> list[int]:
    """Move each message whose current channel is exhausted to its next reachable channel.

    A channel is exhausted when none of its deliveries is still live (failures for good), or, with
    `undelivered_before`, when it has sent ones past their fallback time and none delivered. Its failed
    or waiting deliveries become `fallen_back` and the next channel's deliveries are written and
    dispatched. The messages are locked first, so two workers finishing a message's push deliveries at
    once cannot both move it on (which would send the SMS twice). Returns the new deliveries' ids."""
    created: list[Delivery] = []
    with transaction.atomic():
        messages = list(Message.objects.select_for_update().filter(pk__in=set(message_ids)).order_by("pk"))
        deliveries = defaultdict(list)
        for delivery in Delivery.objects.filter(message__in=messages).order_by("pk"):
            deliveries[delivery.message_id].append(delivery)
        moved, reachable = [], {}
        for message in messages:
            current = deliveries[message.pk][-1].channel if deliveries[message.pk] else None
            on_channel = [d for d in deliveries[message.pk] if d.channel == current]
            if undelivered_before is None:
                exhausted = not any(d.status in LIVE for d in on_channel)
            else:
                exhausted = not any(
                    d.status in (Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.DELIVERED)
                    or (d.status == Delivery.Status.SENT and not (d.fallback_at and d.fallback_at <= now))
                    for d in on_channel
                )
            if not exhausted or current not in message.channels:
                continue
            reachable[message.pk] = message.channels[message.channels.index(current) + 1 :]
            moved.append((message, on_channel))
        reach = Reach([message_recipient(m) for m, _ in moved], MessagingSettings.current())
        left_behind = []
        for message, on_channel in moved:
            new = first_reachable(message, reachable[message.pk], reach, now)
            if new:
                created += new
                left_behind += [
                    d for d in on_channel if d.status in (Delivery.Status.FAILED, Delivery.Status.SENT)
                ]
        Delivery.objects.filter(pk__in=[d.pk for d in left_behind]).update(
            status=Delivery.Status.FALLEN_BACK, fallback_at=None
        )
        metrics.deliveries_count((d.channel, Delivery.Status.FALLEN_BACK) for d in left_behind)
        created = Delivery.objects.bulk_create(created)
        metrics.deliveries_count((d.channel, Delivery.Status.QUEUED) for d in created)
        deliveries_dispatch(created)
    return [d.pk for d in created]


def deliveries_sweep(now=None) -> dict[str, int]:
    """In the current schema, every minute (beat): what is due and has no task.

    - held: quiet hours are over: dispatch (once: the UPDATE that clears `not_before` picks them);
    - fallback: sent, not delivered by `fallback_at`: the message moves on to its next channel;
    - stale: claimed longer than MESSAGING_CLAIM_TIMEOUT_SECONDS ago by a worker that died (a live one
      records its results within the gateways' timeouts): back to the queue;
    - lost: queued for longer than MESSAGING_REDISPATCH_AFTER_SECONDS with no claim: their task was lost
      (a broker restarted empty): dispatched again, harmless if it was not, since claims are atomic.
    The claim timeout must exceed the longest a batch can take to send; past that, a worker still alive
    could send twice, harmless only with providers that deduplicate by the idempotency key."""
    now = now or timezone.now()
    Status = Delivery.Status
    counts = {}
    with transaction.atomic():
        held = _requeue(Q(status=Status.QUEUED, not_before__lte=now), now)
        cutoff = now - timedelta(seconds=settings.MESSAGING_CLAIM_TIMEOUT_SECONDS)
        stale = _requeue(Q(status=Status.SENDING, claimed_at__lt=cutoff), now)
        lost_before = now - timedelta(seconds=settings.MESSAGING_REDISPATCH_AFTER_SECONDS)
        lost = _requeue(Q(status=Status.QUEUED, not_before__isnull=True, queued_at__lt=lost_before), now)
        deliveries_dispatch(held + stale + lost)
        counts = {"held": len(held), "stale": len(stale), "lost": len(lost)}
    due = Delivery.objects.filter(status=Status.SENT, fallback_at__lte=now).values_list(
        "message_id", flat=True
    )
    counts["fallback"] = len(_fall_back(list(due), now, undelivered_before=now)) if due else 0
    return counts


def _requeue(condition: Q, now) -> list[Delivery]:
    """Put the deliveries matching `condition` (not locked by another sweep) back in the queue, due now."""
    rows = Delivery.objects.select_for_update(skip_locked=True, of=("self",)).filter(condition)
    picked = list(rows.select_related("message"))
    Delivery.objects.filter(pk__in=[d.pk for d in picked]).update(
        status=Delivery.Status.QUEUED, claimed_at=None, not_before=None, queued_at=now
    )
    return picked
