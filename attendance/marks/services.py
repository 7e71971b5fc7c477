"""A student's mark in a session roll call set from outside the roll call page (leave approval, the gate), and
the absence alerts to guardians that follow every session roll call change, the roll call page's included.

Alerts (session roll calls only): guardians hear once per student and session (AbsenceAlert is unique on
student, day, session); a later change of what they were told sends a correction and updates the row. The
messages are written in the same transaction (messaging's outbox) and dispatched after commit."""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from attendance.models import ABSENCES, AbsenceAlert, AttendanceMark, Mark, RollCall, Session
from messaging.outbox.selectors import guardian_recipient
from messaging.outbox.services import messages_send
from schoolbook.text import nfc
from students.models import Enrolment, StaffMember, Student
from students.selectors import notified_guardian_links
from tenants.models import School

PURPOSE = "absence"
PRESENT = ""  # a student without a mark; AbsenceAlert.mark after a correction to present


class AttendanceError(Exception):
    """A refused roll call write, with a message for the person who tried it."""


@transaction.atomic
@dataclass(frozen=True)
class MarkChange:
    """One student's mark to set in a session roll call (None: present)."""

    student_id: int
    day: datetime.date
    session: str
    mark: str | None
    source: str
    note: str = ""


def student_mark_set(
    *,
    student: Student,
    day: datetime.date,
    session: str,
    mark: str | None,
    source: str,
    note: str = "",
    actor_staff: StaffMember | None = None,
) -> bool:
    """Change one student's mark (None: present) in the session roll call of the class they are enrolled in
    on `day`, with the same alerts and corrections as a roll call. False when that roll call is not taken
    yet (the teacher will see the leave or the gate's time on the roll call page). Used by leave approval;
    its service audits the decision. `actor_staff` becomes who saved last, whom a conflicting roll call save
    names."""
    change = MarkChange(student.pk, day, session, mark, source, note)
    return bool(students_mark_set([change], actor_staff=actor_staff))


def students_mark_set(changes: list[MarkChange], *, actor_staff: StaffMember | None = None) -> int:
    """`student_mark_set` for many students at once (the gate's batches): per day and session, the roll
    calls locked with one query, the marks written with one bulk create, update and delete, each roll call's
    version moved once and one alert sync, whatever the number of students. Returns how many of the
    students had their session's roll call taken (changed or already so)."""
    for change in changes:
        if change.mark is not None and change.mark not in Mark.values:
            raise AttendanceError(gettext("Điểm danh không hợp lệ: %(mark)s.") % {"mark": change.mark})
    groups: dict[tuple[datetime.date, str], dict[int, MarkChange]] = {}
    for change in changes:
        groups.setdefault((change.day, change.session), {})[change.student_id] = change
    applied = 0
    for (day, session), by_student in groups.items():
        applied += _marks_set(day, session, by_student, actor_staff)
    return applied


def _marks_set(day, session, by_student: dict[int, MarkChange], actor_staff) -> int:
    class_of = dict(
        Enrolment.objects.filter(student_id__in=list(by_student), starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .values_list("student_id", "school_class_id")
    )
    roll_calls = {
        r.school_class_id: r
        for r in RollCall.objects.select_for_update()
        .filter(school_class_id__in=set(class_of.values()), date=day, session=session, period=0)
        .order_by("pk")
    }
    taken = {sid: roll_calls[cid] for sid, cid in class_of.items() if cid in roll_calls}
    current = {
        m.student_id: m
        for m in AttendanceMark.objects.filter(
            roll_call__in=list(roll_calls.values()), student_id__in=list(taken)
        )
    }
    create, update, delete, changed = [], [], [], set()
    for sid, roll_call in taken.items():
        change, mark = by_student[sid], current.get(sid)
        note = nfc(change.note.strip())[:300]
        if change.mark is None:
            if mark is None:
                continue
            delete.append(mark.pk)
        elif mark is None:
            create.append(
                AttendanceMark(
                    roll_call=roll_call, student_id=sid, mark=change.mark, note=note, source=change.source
                )
            )
        elif (mark.mark, mark.source, mark.note) != (change.mark, change.source, note):
            mark.mark, mark.source, mark.note = change.mark, change.source, note
            update.append(mark)
        else:
            continue
        changed.add(sid)
    if not changed:
        return len(taken)
    AttendanceMark.objects.filter(pk__in=delete).delete()
    AttendanceMark.objects.bulk_create(create)
    AttendanceMark.objects.bulk_update(update, ["mark", "source", "note"])
    # The version moves so that a roll call page opened before this change cannot silently undo it.
    moved = RollCall.objects.filter(pk__in={taken[sid].pk for sid in changed})
    if actor_staff is not None:
        moved.update(version=F("version") + 1, taken_by=actor_staff, updated_at=timezone.now())
    else:
        moved.update(version=F("version") + 1, updated_at=timezone.now())
    alerts_sync(day, session, {sid: by_student[sid].mark or PRESENT for sid in changed}, changed)
    return len(taken)


# --- alerts -----------------------------------------------------------------------------------------------


def session_words(session: str) -> str:
    return gettext("buổi sáng") if session == Session.MORNING else gettext("buổi chiều")


def _state_words(mark: str) -> str:
    """What a correction says the child was: "có mặt", "đi muộn", "vắng có phép", "vắng không phép"."""
    return {
        PRESENT: gettext("có mặt"),
        Mark.LATE: gettext("đi muộn"),
        Mark.ABSENT_EXCUSED: gettext("vắng có phép"),
        Mark.ABSENT_UNEXCUSED: gettext("vắng không phép"),
    }[mark]


def _alert_line(mark: str, corrected: bool) -> tuple[str, dict]:
    """The line for one child: a template waiting for %(name)s, %(session)s and %(day)s, and its other
    values."""
    if corrected:
        template = gettext("Điều chỉnh: con %(name)s %(state)s %(session)s %(day)s.")
        return template, {"state": _state_words(mark)}
    if mark == Mark.ABSENT_EXCUSED:
        return gettext("Con %(name)s vắng %(session)s %(day)s (có phép)."), {}
    return gettext("Con %(name)s vắng %(session)s %(day)s (không phép)."), {}


def alerts_sync(day: datetime.date, session: str, marks: dict[int, str], student_ids) -> int:
    """Tell guardians what changed for `student_ids` (their marks now in `marks`; missing = present):
    an alert for a first absence, a correction where they were told something else. Returns the number of
    messages (one per guardian, however many of their children are concerned)."""
    alerts = {
        a.student_id: a
        for a in AbsenceAlert.objects.filter(date=day, session=session, student_id__in=list(student_ids))
    }
    now = timezone.now()
    lines: dict[int, tuple[str, dict]] = {}
    create, update = [], []
    for sid in student_ids:
        mark = marks.get(sid) or PRESENT
        alert = alerts.get(sid)
        if alert is None:
            if mark in ABSENCES:
                create.append(AbsenceAlert(student_id=sid, date=day, session=session, mark=mark))
                lines[sid] = _alert_line(mark, corrected=False)
        elif alert.mark != mark:
            alert.mark, alert.corrected_at = mark, now
            update.append(alert)
            lines[sid] = _alert_line(mark, corrected=True)
    if create:
        AbsenceAlert.objects.bulk_create(create)
    if update:
        AbsenceAlert.objects.bulk_update(update, ["mark", "corrected_at"])
    return _notify(day, session, lines) if lines else 0


def _notify(day: datetime.date, session: str, lines: dict[int, tuple[str, dict]]) -> int:
    """One message per guardian with notifications on: the school's name, then their children's lines in
    name order (one SMS-friendly paragraph)."""
    links = notified_guardian_links(lines)
    values = {"session": session_words(session), "day": day.strftime("%d/%m")}
    by_guardian: dict[int, tuple] = {}
    for link in links:
        texts = by_guardian.setdefault(link.guardian_id, (guardian_recipient(link.guardian), []))[1]
        template, extra = lines[link.student_id]
        texts.append(template % {**values, **extra, "name": link.student.full_name})
    if not by_guardian:
        return 0
    school = School.objects.get(schema_name=connection.schema_name)
    messages_send(
        purpose=PURPOSE,
        items=[(who, nfc(f"{school.name}: " + " ".join(texts))) for who, texts in by_guardian.values()],
        reference=f"absence:{day.isoformat()}:{session}",
    )
    return len(by_guardian)
