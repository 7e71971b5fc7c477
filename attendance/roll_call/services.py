"""Roll call writes: a class's roll call (session or period), saved from the roll call page.

A roll call stores only its exceptions (P, K, late); everyone else was present. A save is one transaction
with the roll call row locked (so a concurrent save, a leave approval and a gate arrival for the same class
and session run one after the other) and a constant number of queries whatever the class size: the marks
are written with one bulk delete, one bulk create and one bulk update. A session roll call's save is
followed by the absence alerts to guardians (attendance.marks.services)."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from attendance.marks.selectors import approved_leave_student_ids
from attendance.marks.services import AttendanceError, alerts_sync, session_words
from attendance.models import ABSENCES, AttendanceMark, Mark, RollCall, Session
from attendance.permissions import can_take_roll_call
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from students.models import SchoolClass, StaffMember, Student, Subject
from students.permissions import is_manager
from students.selectors import enrolled_student_ids

PERIODS = range(1, 11)


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
        "session": session_words(roll_call.session),
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
        alerts = alerts_sync(day, session, after, enrolled | set(before))
    return RollCallResult(
        roll_call=roll_call,
        absent=sum(1 for mark in after.values() if mark in ABSENCES),
        late=sum(1 for mark in after.values() if mark == Mark.LATE),
        alerts=alerts,
    )
