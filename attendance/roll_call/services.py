"""Roll call writes: a class's roll call (session or period), one student's mark (leave approval, the gate),
and the absence alerts to guardians that follow a session roll call.

A roll call stores only its exceptions (P, K, late); everyone else was present. A save is one transaction
with the roll call row locked (so a concurrent save, a leave approval and a gate arrival for the same class
and session run one after the other) and a constant number of queries whatever the class size: the marks
are written with one bulk delete, one bulk create and one bulk update.

Alerts (session roll calls only): guardians hear once per student and session (AbsenceAlert is unique on
student, day, session); a later change of what they were told sends a correction and updates the row. The
messages are written in the same transaction (messaging's outbox) and dispatched after commit."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from attendance.leave.selectors import approved_leave_student_ids
from attendance.models import ABSENCES, AbsenceAlert, AttendanceMark, Mark, RollCall, Session
from attendance.permissions import can_take_roll_call
from messaging.services import guardian_recipient, messages_send
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from students.models import Enrolment, SchoolClass, StaffMember, Student, Subject
from students.permissions import is_manager
from students.selectors import enrolled_student_ids, notified_guardian_links
from tenants.models import School

PURPOSE = "absence"
PRESENT = ""  # a student without a mark; AbsenceAlert.mark after a correction to present
PERIODS = range(1, 11)


class AttendanceError(Exception):
    """A refused roll call write, with a message for the person who tried it."""


class RollCallConflict(AttendanceError):
    """The roll call changed since the page was opened: saving would overwrite someone else's marks."""

    def __init__(self, message: str, roll_call: RollCall):
        super().__init__(message)
        self.roll_call = roll_call


@dataclass
class RollCallResult:
    roll_call: RollCall
    absent: int  # P + K
    late: int
    alerts: int  # messages to guardians (alerts and corrections)


# --- which days may be written ----------------------------------------------------------------------------


def day_editable_error(staff: StaffMember, day: datetime.date) -> str | None:
    """Why `staff` may not write the roll call of `day`, or None: nobody records a day still to come, and
    teachers record (and correct) today's only; managers may correct past days."""
    today = timezone.localdate()
    if day > today:
        return gettext("Chưa đến ngày %(day)s: không thể điểm danh trước.") % {"day": _date(day)}
    if day < today and not is_manager(staff):
        return gettext(
            "Giáo viên chỉ điểm danh và sửa điểm danh trong ngày. Để sửa điểm danh ngày %(day)s, "
            "hãy liên hệ ban giám hiệu."
        ) % {"day": _date(day)}
    return None


def _date(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# --- roll call --------------------------------------------------------------------------------------------


def _check(actor_staff, school_class, day, session, period, subject) -> None:
    if session not in Session.values:
        raise AttendanceError(gettext("Buổi học không hợp lệ."))
    if period and period not in PERIODS:
        raise AttendanceError(gettext("Tiết học phải từ 1 đến 10."))
    if period and subject is None:
        raise AttendanceError(gettext("Điểm danh theo tiết cần chọn môn học."))
    if not can_take_roll_call(actor_staff, school_class, period, subject):
        if period == 0:
            raise AttendanceError(
                gettext("Chỉ giáo viên chủ nhiệm và ban giám hiệu điểm danh buổi học của lớp %(name)s.")
                % {"name": school_class.name}
            )
        raise AttendanceError(gettext("Bạn không dạy môn này ở lớp %(name)s.") % {"name": school_class.name})
    error = day_editable_error(actor_staff, day)
    if error:
        raise AttendanceError(error)


def _not_enrolled_error(school_class, day, student_ids) -> AttendanceError:
    names = dict(Student.objects.filter(pk__in=student_ids).values_list("pk", "full_name"))
    listed = ", ".join(names.get(pk, f"#{pk}") for pk in sorted(student_ids))
    return AttendanceError(
        gettext("Không điểm danh được học sinh không học lớp %(name)s ngày %(day)s: %(students)s.")
        % {"name": school_class.name, "day": _date(day), "students": listed}
    )


def _locked_roll_call(school_class, day, session, period) -> RollCall | None:
    return (
        RollCall.objects.select_for_update(of=("self",))
        .select_related("taken_by")
        .filter(school_class=school_class, date=day, session=session, period=period)
        .first()
    )


def _conflict(roll_call: RollCall) -> RollCallConflict:
    values = {
        "who": roll_call.taken_by or gettext("Người khác"),
        "time": timezone.localtime(roll_call.updated_at).strftime("%H:%M"),
    }
    return RollCallConflict(
        gettext(
            "Điểm danh này đã được cập nhật lúc %(time)s (người lưu: %(who)s) sau khi bạn mở trang. "
            "Trang đã hiện dữ liệu mới nhất: hãy kiểm tra rồi lưu lại."
        )
        % values,
        roll_call,
    )


def period_taken_error(roll_call: RollCall) -> str:
    return gettext("Tiết %(period)s %(session)s đã được điểm danh cho môn %(subject)s.") % {
        "period": roll_call.period,
        "session": _session_words(roll_call.session),
        "subject": roll_call.subject,
    }


def _marks_write(
    roll_call: RollCall, existing: dict[int, AttendanceMark], wanted: dict[int, tuple[str, str, str]]
) -> None:
    """Turn the roll call's `existing` marks (by student id) into exactly `wanted` (student id → (mark,
    note, source)) with at most three statements."""
    gone = [m.pk for sid, m in existing.items() if sid not in wanted]
    create, update = [], []
    for sid, (mark, note, source) in wanted.items():
        current = existing.get(sid)
        if current is None:
            create.append(
                AttendanceMark(roll_call=roll_call, student_id=sid, mark=mark, note=note, source=source)
            )
        elif (current.mark, current.note, current.source) != (mark, note, source):
            current.mark, current.note, current.source = mark, note, source
            update.append(current)
    if gone:
        AttendanceMark.objects.filter(pk__in=gone).delete()
    if create:
        AttendanceMark.objects.bulk_create(create)
    if update:
        AttendanceMark.objects.bulk_update(update, ["mark", "note", "source"])


@transaction.atomic
def roll_call_save(
    *,
    actor_staff: StaffMember,
    school_class: SchoolClass,
    day: datetime.date,
    session: str,
    marks: dict[int, tuple[str | None, str]],
    period: int = 0,
    subject: Subject | None = None,
    version: int | None = None,
) -> RollCallResult:
    """Save a roll call. `marks` are the exceptions, student id → (mark, note); a mark of None says "present"
    explicitly (it overrides an approved leave). Students on approved leave for the slot and not in `marks`
    get P from the leave. `version` is the one the page was opened with (None: there was no roll call yet);
    another means someone saved meanwhile: RollCallConflict, nothing written."""
    period = period or 0
    subject = subject if period else None
    _check(actor_staff, school_class, day, session, period, subject)
    enrolled = enrolled_student_ids(school_class, day)
    strangers = set(marks) - enrolled
    if strangers:
        raise _not_enrolled_error(school_class, day, strangers)
    for mark, _note in marks.values():
        if mark is not None and mark not in Mark.values:
            raise AttendanceError(gettext("Điểm danh không hợp lệ: %(mark)s.") % {"mark": mark})

    roll_call = _locked_roll_call(school_class, day, session, period)
    created = roll_call is None
    if created:
        try:
            with transaction.atomic():  # a concurrent first save of the same slot wins; this one conflicts
                roll_call = RollCall.objects.create(
                    school_class=school_class, date=day, session=session, period=period,
                    subject=subject, taken_by=actor_staff,
                )  # fmt: skip
        except IntegrityError:
            raise _conflict(_locked_roll_call(school_class, day, session, period)) from None
    elif roll_call.subject_id != (subject.pk if subject else None):
        raise AttendanceError(period_taken_error(roll_call))
    elif version != roll_call.version:
        raise _conflict(roll_call)
    roll_call.school_class = school_class  # named by the audit, without a query

    existing = {m.student_id: m for m in AttendanceMark.objects.filter(roll_call=roll_call)}
    before = {sid: m.mark for sid, m in existing.items()}
    on_leave = approved_leave_student_ids(enrolled, day, session)
    wanted: dict[int, tuple[str, str, str]] = {}
    for sid, (mark, note) in marks.items():
        if mark is None:
            continue
        current = existing.get(sid)
        # A mark kept as it was keeps where it came from (the leave, the gate); a P the page pre-filled
        # from an approved leave comes from the leave.
        if current and current.mark == mark:
            source = current.source
        elif mark == Mark.ABSENT_EXCUSED and sid in on_leave:
            source = AttendanceMark.Source.LEAVE
        else:
            source = AttendanceMark.Source.TEACHER
        wanted[sid] = (mark, nfc(note.strip())[:300], source)
    for sid in on_leave - set(marks):
        wanted[sid] = (Mark.ABSENT_EXCUSED, "", AttendanceMark.Source.LEAVE)

    _marks_write(roll_call, existing, wanted)
    after = {sid: mark for sid, (mark, _n, _s) in wanted.items()}
    if not created:
        roll_call.version += 1
        roll_call.taken_by = actor_staff  # who saved last: what a later conflict names
        roll_call.save(update_fields=["version", "taken_by", "updated_at"])
    if (before != after) if not created else day < timezone.localdate():
        audit_record(
            actor=actor_staff.user,
            action="roll_call.correct" if not created else "roll_call.backfill",
            obj=roll_call,
            before={"marks": {str(k): v for k, v in sorted(before.items())}} if not created else None,
            after={"marks": {str(k): v for k, v in sorted(after.items())}},
        )
    alerts = 0
    if period == 0:
        alerts = _alerts_sync(day, session, after, enrolled | set(before))
    return RollCallResult(
        roll_call=roll_call,
        absent=sum(1 for mark in after.values() if mark in ABSENCES),
        late=sum(1 for mark in after.values() if mark == Mark.LATE),
        alerts=alerts,
    )


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
    _alerts_sync(day, session, {sid: by_student[sid].mark or PRESENT for sid in changed}, changed)
    return len(taken)


# --- alerts -----------------------------------------------------------------------------------------------


def _session_words(session: str) -> str:
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


def _alerts_sync(day: datetime.date, session: str, marks: dict[int, str], student_ids) -> int:
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
    values = {"session": _session_words(session), "day": day.strftime("%d/%m")}
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
