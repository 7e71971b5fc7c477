"""Writes of the school gate, each audited: devices (registered with a token shown once; only its SHA-256
is kept), the events they post (parsed by attendance.gate.payload, stored once per device event id), what an
event changes (a late mark, a message to guardians, both as the school chose), the review list's decisions
for events whose person we could not match, and the school's attendance settings."""

import datetime
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from attendance.gate.payload import MAX_EVENTS, IncomingEvent
from attendance.gate.selectors import local_day_start, pending_events, token_hash
from attendance.marks.services import MarkChange, students_mark_set
from attendance.models import (
    AttendanceMark,
    AttendanceSettings,
    GateDevice,
    GateEvent,
    Mark,
    RollCall,
    Session,
)
from messaging.outbox.selectors import guardian_recipient
from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from students.models import Student, StudentGuardian, StudentStatus

# Guardians hear about an arrival or departure only while it is news: a device uploading yesterday's backlog
# stores it (and marks lateness) without messages.
NOTIFY_WITHIN = datetime.timedelta(hours=2)
# Before this local time an arrival is for the morning session, from it for the afternoon (or from the
# afternoon's start time if the school starts before noon).
NOON = datetime.time(12, 0)
PURPOSE = "gate"
SETTINGS_FIELDS = (
    "long_leave_days",
    "morning_starts",
    "afternoon_starts",
    "notify_arrivals",
    "notify_departures",
)


# --- devices -------------------------------------------------------------------------------------------


def device_register(*, actor, name: str) -> tuple[GateDevice, str]:
    """A new active device and its token (about 256 random bits). The token is returned here only: the
    database keeps its hash, so a lost token means registering the device again."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        device = GateDevice.objects.create(name=name.strip(), token_hash=token_hash(token))
        audit_record(actor=actor, action="gate_device.register", obj=device, after={"name": device.name})
    return device, token


def device_deactivate(*, actor, device: GateDevice) -> GateDevice:
    """From now on its token gets 401; its events are kept."""
    with transaction.atomic():
        updated = GateDevice.objects.filter(pk=device.pk, is_active=True).update(is_active=False)
        if updated:
            audit_record(actor=actor, action="gate_device.deactivate", obj=device)
    device.is_active = False
    return device


# --- ingest --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngestResult:
    received: int
    new: int
    duplicates: int
    unknown: int  # new events whose person is not one of the school's students (the review list)

    def as_json(self) -> dict:
        return {
            "received": self.received,
            "new": self.new,
            "duplicates": self.duplicates,
            "unknown": self.unknown,
        }


def gate_events_ingest(*, device: GateDevice, events: list[IncomingEvent]) -> IngestResult:
    """Store the events this device has not sent before (an event id repeated within the request counts
    once), then apply the new ones: a late mark, messages to guardians. One transaction; a constant number
    of queries plus one `student_mark_set` per student newly late.

    Updating the device's row first locks it until commit, so two requests of one device run one after the
    other and each event is new to exactly one of them; ON CONFLICT DO NOTHING stays as the database's
    guarantee."""
    now = timezone.now()
    with transaction.atomic():
        GateDevice.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
        ids = {event.event_id for event in events}
        seen = set(
            GateEvent.objects.filter(device=device, event_id__in=ids).values_list("event_id", flat=True)
        )
        fresh: dict[str, IncomingEvent] = {}
        for event in events:
            if event.event_id not in seen:
                fresh.setdefault(event.event_id, event)
        students = _students_by_code({event.person_ref for event in fresh.values()})
        rows = [
            GateEvent(device=device, event_id=event.event_id, kind=event.kind, person_ref=event.person_ref,
                      student=students.get(event.person_ref), occurred_at=event.occurred_at)
            for event in fresh.values()
        ]  # fmt: skip
        GateEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=MAX_EVENTS)
        matched = [row for row in rows if row.student is not None]
        prefs = AttendanceSettings.current()
        _late_marks(matched, prefs)
        _notify(matched, prefs, now)
    return IngestResult(
        received=len(events),
        new=len(rows),
        duplicates=len(events) - len(rows),
        unknown=len(rows) - len(matched),
    )


def _students_by_code(codes: set[str]) -> dict[str, Student]:
    if not codes:
        return {}
    return {
        student.student_code: student
        for student in Student.objects.filter(student_code__in=codes, status=StudentStatus.STUDYING).only(
            "pk", "student_code", "full_name"
        )
    }


def session_of(local: datetime.datetime, prefs: AttendanceSettings) -> str:
    return Session.AFTERNOON if local.time() >= min(NOON, prefs.afternoon_starts) else Session.MORNING


def _late_marks(events: list[GateEvent], prefs: AttendanceSettings) -> int:
    """Mark late each student whose first arrival of a session is one of `events` and after the session's
    start time (compared to the minute: 07:00:40 is on time), when that session's roll call exists and the
    student has no mark there or is marked absent without permission (K): an excused absence (P) or an
    earlier late mark stays. Returns how many students were marked."""
    first: dict[tuple[int, datetime.date, str], datetime.datetime] = {}  # the first arrival of each
    for event in events:
        if event.kind != GateEvent.Kind.ARRIVAL:
            continue
        local = timezone.localtime(event.occurred_at)
        session = session_of(local, prefs)
        starts = prefs.morning_starts if session == Session.MORNING else prefs.afternoon_starts
        if local.time().replace(second=0, microsecond=0) <= starts:
            continue
        key = (event.student.pk, local.date(), session)
        if key not in first or local < first[key]:
            first[key] = local
    if not first:
        return 0
    days, student_ids = {day for _, day, _ in first}, {student_id for student_id, _, _ in first}
    # The slots whose roll call exists (the student's class that day), so that students whose roll call is
    # not taken yet cost nothing here: the roll call page shows their gate time instead.
    taken = set(
        RollCall.objects.filter(
            Q(school_class__enrolments__ends_on__isnull=True)
            | Q(school_class__enrolments__ends_on__gte=F("date")),
            school_class__enrolments__student_id__in=student_ids,
            school_class__enrolments__starts_on__lte=F("date"),
            period=0,
            date__in=days,
        ).values_list("school_class__enrolments__student_id", "date", "session")
    )
    # A student already seen arriving earlier in that session came in then: a later pass is not lateness.
    earlier = GateEvent.objects.filter(
        student_id__in=student_ids,
        kind=GateEvent.Kind.ARRIVAL,
        occurred_at__gte=local_day_start(min(first.values())),
        occurred_at__lt=max(first.values()),
    ).values_list("student_id", "occurred_at")
    for student_id, occurred_at in earlier:
        local = timezone.localtime(occurred_at)
        key = (student_id, local.date(), session_of(local, prefs))
        if key in first and local < first[key]:
            del first[key]
    kept = set(
        AttendanceMark.objects.filter(
            roll_call__period=0, roll_call__date__in=days, student_id__in=student_ids
        )
        .exclude(mark=Mark.ABSENT_UNEXCUSED)
        .values_list("student_id", "roll_call__date", "roll_call__session")
    )
    changes = [
        MarkChange(
            student_id,
            day,
            session,
            Mark.LATE,
            AttendanceMark.Source.GATE,
            gettext("Vào cổng lúc %(time)s") % {"time": local.strftime("%H:%M")},
        )
        for (student_id, day, session), local in first.items()
        if (student_id, day, session) in taken and (student_id, day, session) not in kept
    ]
    return students_mark_set(changes) if changes else 0


GATE_TEXTS = {
    GateEvent.Kind.ARRIVAL: _("Con %(name)s đã đến trường lúc %(time)s."),
    GateEvent.Kind.DEPARTURE: _("Con %(name)s đã ra về lúc %(time)s."),
}


def _notify(events: list[GateEvent], prefs: AttendanceSettings, now: datetime.datetime) -> int:
    """One message per event to each of the student's guardians with notifications on, for the kinds the
    school turned on and events still news (NOTIFY_WITHIN). Returns the number of messages."""
    wanted = {
        GateEvent.Kind.ARRIVAL: prefs.notify_arrivals,
        GateEvent.Kind.DEPARTURE: prefs.notify_departures,
    }
    told = [e for e in events if wanted[e.kind] and now - e.occurred_at <= NOTIFY_WITHIN]
    if not told:
        return 0
    guardians: dict[int, list] = {}
    for link in StudentGuardian.objects.filter(
        student_id__in={e.student.pk for e in told}, receives_notifications=True
    ).select_related("guardian"):
        guardians.setdefault(link.student_id, []).append(link.guardian)
    items = []
    for event in told:
        text = nfc(
            str(GATE_TEXTS[event.kind])
            % {
                "name": event.student.full_name,
                "time": timezone.localtime(event.occurred_at).strftime("%H:%M"),
            }
        )
        items.extend((guardian_recipient(guardian), text) for guardian in guardians.get(event.student.pk, []))
    messages_send(purpose=PURPOSE, items=items, reference=f"gate:{events[0].device_id}")
    return len(items)


# --- the review list -----------------------------------------------------------------------------------


class GateReviewError(ValueError):
    pass


def gate_event_assign(*, actor_staff, event: GateEvent, student_code: str) -> int:
    """Assign the student with this code to the event and to every other pending event with the same
    reported code or card (the device will keep reporting it); their arrivals mark lateness as if matched
    at once. No message: by now it is not news. Returns the number of events assigned."""
    student = Student.objects.filter(student_code=student_code.strip()).first()
    if student is None:
        raise GateReviewError(gettext("Không có học sinh nào mã %(code)s.") % {"code": student_code.strip()})
    with transaction.atomic():
        events = list(pending_events().select_for_update(of=("self",)).filter(person_ref=event.person_ref))
        if not events:
            raise GateReviewError(gettext("Sự kiện này đã được xử lý."))
        GateEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            student=student, resolved_by=actor_staff
        )
        for e in events:
            e.student = student
        _late_marks(events, AttendanceSettings.current())
        audit_record(
            actor=actor_staff.user, action="gate_event.assign", obj=event,
            after={"person_ref": event.person_ref, "student": student.student_code, "events": len(events)},
        )  # fmt: skip
    return len(events)


def gate_event_dismiss(*, actor_staff, event: GateEvent) -> None:
    """Not one of our students (a visitor's card, a misread): kept, off the review list."""
    with transaction.atomic():
        updated = pending_events().filter(pk=event.pk).update(resolved_by=actor_staff)
        if not updated:
            raise GateReviewError(gettext("Sự kiện này đã được xử lý."))
        audit_record(
            actor=actor_staff.user,
            action="gate_event.dismiss",
            obj=event,
            after={"person_ref": event.person_ref},
        )


# --- settings ------------------------------------------------------------------------------------------


def attendance_settings_update(*, actor, **values) -> AttendanceSettings:
    """Save the school's attendance settings (its single row, created on first save), audited with what
    changed; the row is locked so two managers saving at once each record their own before/after."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"not attendance settings: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        prefs = AttendanceSettings.objects.select_for_update().order_by("pk").first() or AttendanceSettings()
        before = {name: _plain(getattr(prefs, name)) for name in SETTINGS_FIELDS}
        for name, value in values.items():
            setattr(prefs, name, value)
        after = {name: _plain(getattr(prefs, name)) for name in SETTINGS_FIELDS}
        changed = [name for name in SETTINGS_FIELDS if before[name] != after[name]]
        if prefs.pk is None or changed:
            prefs.save()
            audit_record(
                actor=actor, action="attendance_settings.update", obj=prefs,
                before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
                object_repr=gettext("Cài đặt điểm danh"),
            )  # fmt: skip
    return prefs


def _plain(value):
    return value.strftime("%H:%M") if isinstance(value, datetime.time) else value
