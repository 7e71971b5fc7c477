"""What the worker runs for a data link (offices.tasks): claim a batch of the office's due records with one
UPDATE … RETURNING (as messaging's pipeline claims deliveries: two senders never take the same record),
post it signed, record each record's outcome, and again until nothing is due, the centre is unwell, or the
run's time is up; and the sweep that gives a dead worker's claims back and wakes the senders of offices
with records due.

A record is sent with the same idempotency key every time; the centre stores a key once and answers
"duplicate" after that. So a record whose answer was lost (a timeout, a worker killed after the post) is
simply sent again, and once its success is recorded it is never claimed again. Retries: a failed attempt
(5xx, timeout, refused connection, an answer that leaves the record out, a signature refused) waits
messaging's `backoff` from OFFICE_LINKS_BACKOFF_BASE_SECONDS, and is marked failed after
OFFICE_LINKS_GIVE_UP_HOURS in the queue; the centre's "come back later" (408, 425, 429) waits its
Retry-After and is not an attempt; a rejection (a record's, or the whole batch's 4xx) is final until an
office replays it."""

import contextlib
import logging
import time
import uuid
from datetime import timedelta

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import LockError

from messaging.pipeline.services import backoff
from offices.links import protocol
from offices.links.models import DataLink, LinkRecord
from offices.models import OfficeSchool
from schoolbook.outbound import NonPublicAddress, public_only_session
from schoolbook.ratelimit import redis_client
from schoolbook.sealed import UnsealError, unseal

logger = logging.getLogger(__name__)
Status = LinkRecord.Status
DELIVERED = (Status.SENT, Status.DUPLICATE)


def records_withdraw(office_id: int) -> int:
    """Records waiting for a school that has left the office are never sent: marked so, for the log."""
    members = OfficeSchool.objects.filter(office_id=office_id).values("school_id")
    return (
        LinkRecord.objects.filter(office_id=office_id, status=Status.PENDING)
        .exclude(school_id__in=members)
        .update(status=Status.WITHDRAWN, answer="", next_attempt_at=None)
    )


def records_claim(office_id: int, size: int) -> list[LinkRecord]:
    """Take up to `size` due records of the office for sending (oldest first), of schools it still covers:
    one UPDATE … RETURNING over rows locked SKIP LOCKED, so a concurrent sender takes others or none."""
    quote = connection.ops.quote_name
    table, members = quote(LinkRecord._meta.db_table), quote(OfficeSchool._meta.db_table)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH picked AS (SELECT r.id FROM {table} r WHERE r.office_id = %s AND r.status = %s"
            f" AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= %s)"
            f" AND EXISTS (SELECT 1 FROM {members} m"
            f" WHERE m.office_id = r.office_id AND m.school_id = r.school_id)"
            f" ORDER BY r.id LIMIT %s FOR UPDATE SKIP LOCKED)"
            f" UPDATE {table} t SET status = %s, claimed_at = %s FROM picked WHERE t.id = picked.id"
            f" RETURNING t.id",
            [office_id, Status.PENDING, now, size, Status.SENDING, now],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return list(LinkRecord.objects.filter(pk__in=ids).order_by("pk")) if ids else []


def link_send(office_id: int) -> int:
    """Send the office's due records, one sender per office at a time (a Redis lock; a second task finds
    it taken and leaves). Returns the number of records whose outcome was recorded."""
    budget = settings.OFFICE_LINKS_SEND_SECONDS
    lock = redis_client().lock(
        f"offices:link-send:{office_id}",
        timeout=int(budget + 2 * settings.OFFICE_LINKS_TIMEOUT_SECONDS) + 1,
        blocking=False,
    )
    if not lock.acquire():
        return 0
    try:
        return _send_due(office_id, time.monotonic() + budget)
    finally:
        with contextlib.suppress(LockError):  # expired meanwhile: the claims' timeout covers that case
            lock.release()


def _send_due(office_id: int, deadline: float) -> int:
    link = DataLink.objects.select_related("office").filter(office_id=office_id, enabled=True).first()
    if link is None:
        return 0
    records_withdraw(office_id)
    try:
        secret = unseal(link.secret_sealed)
    except UnsealError:
        logger.error("data link of office %s: the secret cannot be unsealed; set it again", link.office.code)
        return 0
    done = 0
    with public_only_session(settings.OFFICE_LINKS_TEST_ORIGINS) as session:
        while time.monotonic() < deadline:
            batch = records_claim(office_id, settings.OFFICE_LINKS_BATCH_SIZE)
            if not batch:
                break
            outcomes = _post(session, link, secret, batch)
            _record(batch, outcomes)
            done += len(batch)
            if all(o.status in (protocol.RETRY, protocol.WAIT) for o in outcomes.values()):
                break  # the centre is down or throttling: the sweep comes back when the first is due
    return done


def _post(session, link: DataLink, secret: str, batch: list[LinkRecord]) -> dict[str, protocol.Outcome]:
    keys = [record.key for record in batch]
    records = [
        {
            "idempotency_key": record.key, "type": record.kind, "record_id": record.record_id,
            "version": record.version, "deleted": record.deleted,
            "produced_at": timezone.localtime(record.produced_at).isoformat(timespec="seconds"),
            "data": protocol.mapping_apply(link.field_map.get(record.kind, {}), record.data),
        }
        for record in batch
    ]  # fmt: skip
    body = protocol.batch_body(
        batch_id=uuid.uuid4().hex,
        sent_at=timezone.localtime().isoformat(timespec="seconds"),
        office=link.office.code,
        records=records,
    )
    headers = protocol.signed_headers(
        key_id=link.key_id, secret=secret, timestamp=int(time.time()), body=body
    )
    try:
        response = session.post(
            link.endpoint,
            data=body,
            headers=headers,
            timeout=settings.OFFICE_LINKS_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except NonPublicAddress as exc:
        return dict.fromkeys(keys, protocol.Outcome(protocol.RETRY, f"not a public internet address: {exc}"))
    except requests.RequestException as exc:
        return dict.fromkeys(keys, protocol.Outcome(protocol.RETRY, f"{exc.__class__.__name__}: {exc}"[:300]))
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return protocol.answer_read(keys, response.status_code, payload, response.headers.get("Retry-After"))


RECORDED = ["status", "attempts", "claimed_at", "sent_at", "next_attempt_at", "answer"]


def _record(batch: list[LinkRecord], outcomes: dict[str, protocol.Outcome]) -> None:
    now = timezone.now()
    give_up = timedelta(hours=settings.OFFICE_LINKS_GIVE_UP_HOURS)
    for record in batch:
        outcome = outcomes[record.key]
        record.claimed_at, record.next_attempt_at, record.answer = None, None, outcome.reason[:1000]
        if outcome.status == protocol.WAIT:  # not an attempt: the centre set the pace
            wait = outcome.retry_after or _backoff(record.attempts)
            record.status, record.next_attempt_at = Status.PENDING, now + timedelta(seconds=wait)
            continue
        record.attempts += 1
        if outcome.status in (protocol.ACCEPTED, protocol.DUPLICATE):
            record.status, record.sent_at = (
                Status.SENT if outcome.status == protocol.ACCEPTED else Status.DUPLICATE,
                now,
            )
        elif outcome.status == protocol.REJECTED:
            record.status = Status.REJECTED
        elif now - record.queued_at > give_up:
            record.status = Status.FAILED
        else:
            record.status = Status.PENDING
            record.next_attempt_at = now + timedelta(seconds=_backoff(record.attempts - 1))
    LinkRecord.objects.bulk_update(batch, RECORDED)


def _backoff(attempts: int) -> float:
    return backoff(
        attempts,
        base=settings.OFFICE_LINKS_BACKOFF_BASE_SECONDS,
        cap=settings.OFFICE_LINKS_BACKOFF_CAP_SECONDS,
    )


def links_sweep() -> list[int]:
    """Every minute: claims older than OFFICE_LINKS_CLAIM_TIMEOUT_SECONDS (their worker died between the
    post and the record) go back to the queue, due now; returns the offices with records due, whose
    senders the task wakes."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=settings.OFFICE_LINKS_CLAIM_TIMEOUT_SECONDS)
    LinkRecord.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).update(
        status=Status.PENDING, claimed_at=None, next_attempt_at=None
    )
    due = LinkRecord.objects.filter(status=Status.PENDING, office__data_link__enabled=True).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return sorted(set(due.values_list("office_id", flat=True)))
