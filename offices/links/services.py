"""Changes to the data links: an office's link set by the platform admin (the secret sealed, the change
audited without it), a school's records written into the outbox of every link that covers the school, and
the office's replay of what the centre rejected or what could not be sent, and the nightly deletion of the
sent log's old records. Sending is offices.links.sending.

Isolation: a school's records are written only for the offices that cover it at that moment (OfficeSchool,
read in the same transaction), and the sender sends only records whose school still belongs to the office,
so a school never sends to an office that does not cover it, and one withdrawn stops sending at once."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from offices.links import protocol
from offices.links.models import DataLink, LinkRecord
from offices.links.selectors import links_covering
from offices.models import EducationOffice
from schoolbook.audit.services import audit_record
from schoolbook.sealed import seal


def link_save(*, actor, office: EducationOffice, cleaned: dict) -> DataLink:
    """`cleaned` is DataLinkForm's: endpoint, key_id, secret ("" keeps the one stored), what to send,
    field_map, enabled."""
    cleaned = dict(cleaned)
    secret = cleaned.pop("secret", "")
    link = DataLink.objects.filter(office=office).first() or DataLink(office=office)
    before = _described(link) if link.pk else None
    for name, value in cleaned.items():
        setattr(link, name, value)
    if secret:
        link.secret_sealed = seal(secret)
    link.save()
    after = _described(link) | {"secret_changed": bool(secret)}
    audit_record(actor=actor, action="office.link_save", obj=office, before=before, after=after)
    return link


def _described(link: DataLink) -> dict:
    return {
        "endpoint": link.endpoint,
        "key_id": link.key_id,
        "types": link.record_types(),
        "field_map": link.field_map,
        "enabled": link.enabled,
    }


@dataclass(frozen=True)
class Produced:
    """One record as the school has it now: its stable id, a label for the log, the data (our field names,
    JSON values only)."""

    record_id: str
    label: str
    data: dict


def records_enqueue(*, school, day, produced: dict[str, list[Produced]]) -> int:
    """Write, for each link covering `school`, the records of `day` of the types it sends that are new or
    changed since the last version written (a new version, a new idempotency key), and a deleted version of
    each one written before that the school no longer has (a mark removed, a class renamed). Producing a day
    again with nothing changed writes nothing. Returns the number of new versions found (rows another run
    wrote meanwhile are skipped by the unique constraints, not written twice)."""
    now = timezone.now()
    rows: list[LinkRecord] = []
    with transaction.atomic():
        for link in links_covering(school):
            for kind in link.record_types():
                if kind in produced:
                    rows += _new_versions(link.office_id, school, day, kind, produced[kind], now)
        LinkRecord.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
        offices = sorted({row.office_id for row in rows})
        if offices:
            transaction.on_commit(lambda: _dispatch(offices))
    return len(rows)


def _new_versions(office_id, school, day, kind, produced: list[Produced], now) -> list[LinkRecord]:
    latest = {}
    previous = LinkRecord.objects.filter(office_id=office_id, school=school, day=day, kind=kind)
    for row in previous.order_by("record_id", "version").only(
        "record_id", "version", "deleted", "data", "label"
    ):
        latest[row.record_id] = row  # ordered by version: the last one stays

    def row(record_id, version, label, data, deleted=False):
        return LinkRecord(
            office_id=office_id, school=school, kind=kind, record_id=record_id, version=version,
            deleted=deleted, day=day, label=label[:200], data=data, produced_at=now, queued_at=now,
            key=protocol.idempotency_key(record_id, version, data, deleted),
        )  # fmt: skip

    rows = []
    for record in produced:
        before = latest.get(record.record_id)
        if (
            before is not None
            and not before.deleted
            and (protocol.canonical(before.data) == protocol.canonical(record.data))
        ):
            continue
        rows.append(row(record.record_id, before.version + 1 if before else 1, record.label, record.data))
    now_there = {record.record_id for record in produced}
    for record_id, before in latest.items():
        if record_id not in now_there and not before.deleted:
            rows.append(row(record_id, before.version + 1, before.label, before.data, deleted=True))
    return rows


def _dispatch(office_ids) -> None:
    """A sender task per office, from public: the sender reads only public tables."""
    from offices.tasks import office_link_send

    with schema_context(get_public_schema_name()):
        for office_id in office_ids:
            office_link_send.delay(office_id)


REPLAYABLE = (LinkRecord.Status.REJECTED, LinkRecord.Status.FAILED)


def records_replay(*, actor, office: EducationOffice, records) -> int:
    """Send again, with the same idempotency keys, the records among `records` (a queryset of the office's)
    that were rejected or could not be sent: after the centre fixed its side, or the mapping was corrected.
    Returns how many; audited with their ids."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            records.filter(office=office, status__in=REPLAYABLE)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        LinkRecord.objects.filter(pk__in=ids).update(
            status=LinkRecord.Status.PENDING, attempts=0, queued_at=now, next_attempt_at=None, claimed_at=None
        )
        if ids:
            audit_record(actor=actor, action="office.links_replay", obj=office, after={"records": ids})
            transaction.on_commit(lambda: _dispatch([office.pk]))
    return len(ids)


# Where a record ends: delivered, refused, given up or its school withdrawn. Pending and sending records (a
# failing one among them, waiting for its next attempt) are never old enough to delete.
FINAL = (
    LinkRecord.Status.SENT,
    LinkRecord.Status.DUPLICATE,
    LinkRecord.Status.REJECTED,
    LinkRecord.Status.FAILED,
    LinkRecord.Status.WITHDRAWN,
)


def records_purge(*, days: int, batch_size: int = 1000) -> int:
    """Delete the records that ended more than `days` ago: a final status, about a day older than that
    and queued (produced, or replayed) before it, so a recent replay of an old day stays. One DELETE per
    batch, oldest days first (the `day` index), each its own short transaction, so the log's pages and the
    senders never wait long; it takes rows SKIP LOCKED and checks their status under the lock, so a record
    being replayed meanwhile is kept. Returns how many were deleted."""
    table = connection.ops.quote_name(LinkRecord._meta.db_table)
    before_day = timezone.localdate() - timedelta(days=days)
    queued_before = timezone.now() - timedelta(days=days)
    deleted = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE status = ANY(%s) AND day < %s"
                f" AND queued_at < %s ORDER BY day LIMIT %s FOR UPDATE SKIP LOCKED)",
                [list(FINAL), before_day, queued_before, batch_size],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < batch_size:
                return deleted
