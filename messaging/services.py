"""The one messaging interface the rest of Schoolbook calls, and the sending side the worker runs.

Rows are written in the caller's transaction (outbox); the worker is told only after commit, so a
rolled-back cause sends nothing. Each Message carries its channel plan (the school's order, narrowed to
what the sender allowed and what the recipient can be reached by); its first channel gets Delivery rows
at once, the next ones only when a channel fails for good or is not delivered within the school's
fallback delay. The worker gets Delivery ids in batches, claims them with one UPDATE (a duplicated task
finds nothing left to claim), takes tokens from the gateway's bucket, sends the batch and records each
result: sent, back to queued for a retry with backoff (transient), or failed (permanent: the contact
point is marked when the address itself is at fault, and the message falls back to its next channel).
A sweep per schema, every minute, releases what quiet hours held, falls back what was not delivered in
time, and re-dispatches deliveries whose task or worker was lost."""

import base64
import logging
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from accounts.models import ContactPoint
from messaging.gateways.base import OutgoingMessage, Receipt, ReceiptStatus, account_bucket_name
from messaging.gateways.registry import gateway_class, gateway_configured
from messaging.models import Channel, Delivery, Message, MessagingSettings
from messaging.provider_accounts.selectors import gateway_for, gateway_options, own_providers
from messaging.quiet_hours import quiet_until
from messaging.ratelimit import TokenBucket
from messaging.sms_text import sms_normalise
from schoolbook.audit.services import audit_record

BACKOFF_CAP_SECONDS = 600
PUSH_GATEWAYS = ("webpush", "fcm")  # a push contact point names its own
LIVE = (Delivery.Status.QUEUED, Delivery.Status.SENDING, Delivery.Status.SENT, Delivery.Status.DELIVERED)
logger = logging.getLogger("schoolbook.messaging")


@dataclass(frozen=True)
class Recipient:
    """Who a message is for and every way we know to reach them."""

    phone: str = ""  # E.164: SMS and Zalo
    email: str = ""
    user_id: int | None = None  # a platform user: their push subscriptions (browsers and the app)
    name: str = ""  # for the delivery report

    @classmethod
    def of(cls, value: "Recipient | str") -> "Recipient":
        """A bare string is a phone number, or an e-mail address when it has an @."""
        if isinstance(value, Recipient):
            return value
        return cls(email=value) if "@" in value else cls(phone=value)


def guardian_recipient(guardian) -> Recipient:
    """A school's guardian row as a recipient: its phone and e-mail, and its platform user's devices."""
    return Recipient(
        phone=guardian.phone, email=guardian.email, user_id=guardian.user_id, name=guardian.full_name
    )


class Reach:
    """What a group of recipients can be reached by, with two queries for all of them: the addresses
    gateways reported bad, and the users' push subscriptions. `plan` orders channels, `addresses` gives a
    channel's (gateway, address) pairs."""

    def __init__(self, recipients: list[Recipient], prefs: MessagingSettings):
        self.prefs = prefs
        own = own_providers()  # a school's own SMS account chooses its gateway; its own OA enables Zalo
        self.gateways = {
            Channel.SMS: own.get(Channel.SMS) or prefs.sms_gateway or settings.SMS_GATEWAY,
            Channel.EMAIL: "email",
            Channel.ZALO: "zalo" if Channel.ZALO in own or gateway_configured("zalo") else "",
        }
        push_gateways = [name for name in PUSH_GATEWAYS if gateway_configured(name)]
        addresses = {r.phone for r in recipients if r.phone} | {r.email for r in recipients if r.email}
        self.bad = set(
            ContactPoint.objects.filter(is_bad=True, address__in=addresses).values_list("channel", "address")
        )
        self.push = defaultdict(list)
        users = {r.user_id for r in recipients if r.user_id}
        if users and push_gateways:
            points = ContactPoint.objects.filter(
                user_id__in=users, channel=Channel.PUSH, gateway__in=push_gateways, is_bad=False
            ).order_by("pk")
            for point in points:
                self.push[point.user_id].append((point.gateway, point.address))

    def addresses(self, recipient: Recipient, channel: str) -> list[tuple[str, str]]:
        if channel == Channel.PUSH:
            return list(self.push.get(recipient.user_id, []))
        address = recipient.email if channel == Channel.EMAIL else recipient.phone
        gateway = self.gateways.get(channel)
        if not (address and gateway) or (channel, address) in self.bad:
            return []
        return [(gateway, address)]

    def plan(self, recipient: Recipient, allowed: list[str] | None) -> list[str]:
        order = self.prefs.channel_order or [c for c in Channel.values]
        return [c for c in order if (allowed is None or c in allowed) and self.addresses(recipient, c)]


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
) -> list[Message]:
    """One Message per (recipient, body) with its channel plan, and Delivery rows for each one's first
    channel: two INSERTs whatever the number of items. `channels` narrows the school's order (None: all).
    Outside `urgent` and `emergency`, quiet hours hold the deliveries (no task) until they end; otherwise
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
    hold = None if urgent or emergency else _quiet_until(prefs)
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
    if hold is None:
        _dispatch_on_commit(deliveries)
    return messages


def message_send(
    *, purpose: str, recipient: Recipient | str, body: str, urgent: bool = False, **options
) -> Message:
    (message,) = messages_send(purpose=purpose, items=[(recipient, body)], urgent=urgent, **options)
    return message


SETTINGS_FIELDS = (  # a school's MessagingSettings saved as given; `channel_order` is checked by the form
    "fallback_minutes",
    "sms_gateway",
    "strip_accents",
    "quiet_hours_start",
    "quiet_hours_end",
    "teacher_notices_need_approval",
)


@transaction.atomic
def messaging_settings_update(*, actor, request=None, **values) -> MessagingSettings:
    """Save the school's settings (its single row, created on first save), audited with what changed.
    The view validates with MessagingSettingsForm; the row is locked so two admins saving at once each
    record their own before/after."""
    unknown = set(values) - {"channel_order", *SETTINGS_FIELDS}
    if unknown:
        raise TypeError(f"not messaging settings: {', '.join(sorted(unknown))}")
    prefs = MessagingSettings.objects.select_for_update().order_by("pk").first()
    if prefs is None:
        prefs = MessagingSettings.current()  # the defaults, unsaved
    before = _snapshot(prefs)
    for name, value in values.items():
        setattr(prefs, name, value)
    after = _snapshot(prefs)
    if prefs.pk is None or before != after:
        prefs.save()
        changed = {k for k in after if before[k] != after[k]}
        audit_record(
            actor=actor,
            action="messaging_settings.update",
            obj=prefs,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            request=request,
            object_repr=gettext("Cài đặt gửi tin"),
        )
    return prefs


def _snapshot(prefs: MessagingSettings) -> dict:
    """JSON-ready values for the audit (times as HH:MM)."""
    values = {name: getattr(prefs, name) for name in ("channel_order", *SETTINGS_FIELDS)}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        values[name] = values[name].strftime("%H:%M")
    values["channel_order"] = list(values["channel_order"])
    return values


def _quiet_until(prefs: MessagingSettings):
    return quiet_until(timezone.localtime(), prefs.quiet_hours_start, prefs.quiet_hours_end)


def _queue(message: Message) -> str:
    return "urgent" if message.urgent else "bulk" if message.bulk else "default"


def _dispatch_on_commit(deliveries: list[Delivery]) -> None:
    """One task per batch and queue, after commit. The task carries the schema that is current when it is
    sent (tenant-schemas-celery): pin it to the caller's, in case the commit happens after the caller has
    left its school's schema."""
    from messaging.tasks import TASK_BY_QUEUE

    by_queue = defaultdict(list)
    for delivery in deliveries:
        by_queue[_queue(delivery.message)].append(delivery.pk)
    schema = connection.schema_name
    size = settings.MESSAGING_BATCH_SIZE

    def dispatch():
        with schema_context(schema):
            for queue, ids in by_queue.items():
                for start in range(0, len(ids), size):
                    TASK_BY_QUEUE[queue].delay(ids[start : start + size])

    if by_queue:
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


DELIVERY_KEY_PURPOSE = "messaging.services.delivery_key"
SCHEMA_TAG_LENGTH, KEY_LENGTH = 8, 24


def _digest(text: str) -> str:
    """Base32 (A–Z, 2–7) of an HMAC of `text` keyed from SECRET_KEY: letters and digits only."""
    mac = salted_hmac(DELIVERY_KEY_PURPOSE, text, algorithm="sha256").digest()
    return base64.b32encode(mac).decode().rstrip("=")


def schema_tag(schema: str) -> str:
    """The first characters of every key of a schema's deliveries: which schema a receipt is for."""
    return _digest(schema)[:SCHEMA_TAG_LENGTH]


def delivery_key(pk: int, schema: str | None = None) -> str:
    """The idempotency key a provider gets for a delivery (eSMS RequestId, Zalo tracking_id, the push
    receipt): 24 letters and digits, within eSMS's 50 and Zalo's 48 characters whatever the schema's name,
    and unguessable. The schema's tag, then a hash of schema and id: ids are per schema and schools share
    provider accounts, so a bare id would make one school's message a "duplicate" of another's (eSMS
    answers 124 and never sends it). Kept on the Delivery (`provider_key`) when it is sent: receipts find
    deliveries by it."""
    schema = schema or connection.schema_name
    return (schema_tag(schema) + _digest(f"{schema}-{pk}"))[:KEY_LENGTH]


def backoff(attempts: int) -> float:
    """Exponential backoff with jitter, so deliveries that failed together do not all come back together."""
    delay = settings.MESSAGING_BACKOFF_BASE_SECONDS * 2**attempts
    return min(BACKOFF_CAP_SECONDS, delay) * random.uniform(0.5, 1.0)


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
    results = {result.idempotency_key: result for result in gateway.send(batch)}
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
    if failed:
        _mark_bad([d for d, recipient_at_fault in failed if recipient_at_fault], now)
        _fall_back([d.message_id for d, _ in failed], now)
    return retry, waits


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
            new = _first_reachable(message, reachable[message.pk], reach, now)
            if new:
                created += new
                left_behind += [
                    d for d in on_channel if d.status in (Delivery.Status.FAILED, Delivery.Status.SENT)
                ]
        Delivery.objects.filter(pk__in=[d.pk for d in left_behind]).update(
            status=Delivery.Status.FALLEN_BACK, fallback_at=None
        )
        created = Delivery.objects.bulk_create(created)
        _dispatch_on_commit(created)
    return [d.pk for d in created]


def _first_reachable(message: Message, channels: list[str], reach: Reach, now) -> list[Delivery]:
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


def message_recipient(message: Message) -> Recipient:
    return Recipient(phone=message.phone, email=message.email, user_id=message.user_id)


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
        _dispatch_on_commit(held + stale + lost)
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
        created = [d for message in retry for d in _first_reachable(message, message.channels, reach, now)]
        created = Delivery.objects.bulk_create(created)
        _dispatch_on_commit(created)
    return len(created)


def deliveries_apply_receipts(receipts: list[Receipt], *, gateway: str) -> int:
    """Apply a provider's delivery reports in the current schema; returns the number of deliveries changed.

    Only a `sent` delivery moves (to delivered, or to failed with the reason): a replayed report finds it
    already moved and changes nothing, and a late "failed" never takes back a "delivered". A delivery is
    found by our idempotency key (`provider_key`: another schema's key is not ours) or by the provider's
    id, and only among this gateway's; a report whose key and provider id contradict each other is ignored
    rather than trusted. One locking SELECT, one UPDATE."""
    keys = {r.idempotency_key for r in receipts if r.idempotency_key}
    provider_ids = {r.provider_message_id for r in receipts if r.provider_message_id}
    if not keys and not provider_ids:
        return 0
    now = timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(
            Q(provider_key__in=keys) | Q(provider_message_id__in=provider_ids), gateway=gateway
        )
        rows = list(rows)
        by_key = {d.provider_key: d for d in rows if d.provider_key}
        by_provider_id = {d.provider_message_id: d for d in rows if d.provider_message_id}
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
                    delivery.status, delivery.delivered_at = Delivery.Status.DELIVERED, now
                # An earlier attempt's duplicate answer (eSMS 124) left us without the provider's id.
                delivery.provider_message_id = delivery.provider_message_id or receipt.provider_message_id
                changed[delivery.pk] = delivery
        if changed:
            Delivery.objects.bulk_update(
                changed.values(), ["status", "error", "provider_message_id", "delivered_at"]
            )
    return len(changed)


def receipts_apply_by_schema(receipts: list[Receipt], *, gateway: str) -> int:
    """Apply receipts from a webhook that serves every school (Zalo's, the service worker's): each key
    starts with its schema's tag (`delivery_key`), and each group is applied inside its own schema, only
    for schemas of active schools (or public). Receipts without a known tag are dropped with a log line."""
    from tenants.models import School

    schemas = ["public", *School.objects.filter(is_active=True).values_list("schema_name", flat=True)]
    by_tag = {schema_tag(schema): schema for schema in schemas}
    by_schema = defaultdict(list)
    for receipt in receipts:
        schema = by_tag.get(receipt.idempotency_key[:SCHEMA_TAG_LENGTH])
        if schema and len(receipt.idempotency_key) == KEY_LENGTH:
            by_schema[schema].append(receipt)
        else:
            logger.warning("%s receipt without a key of an active school: %s", gateway, receipt)
    changed = 0
    for schema, group in by_schema.items():
        with schema_context(schema):
            changed += deliveries_apply_receipts(group, gateway=gateway)
    return changed


def _receipt_delivery(receipt: Receipt, by_key: dict, by_provider_id: dict) -> Delivery | None:
    """The delivery a receipt speaks of, when its key and provider id do not contradict each other."""
    delivery = by_key.get(receipt.idempotency_key) or by_provider_id.get(receipt.provider_message_id)
    if delivery is None:
        return None
    # A delivery sent before keys were stored (provider_key "") can only be found by the provider's id.
    if receipt.idempotency_key and delivery.provider_key and receipt.idempotency_key != delivery.provider_key:
        return None
    if receipt.address and receipt.address != delivery.address:  # the provider names another recipient
        return None
    ours, theirs = delivery.provider_message_id, receipt.provider_message_id
    if ours and theirs and ours != theirs:
        return None
    return delivery
