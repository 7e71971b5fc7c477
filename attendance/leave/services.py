"""Every write on leave requests (xin nghỉ học): a guardian asks or cancels, the homeroom teacher and, for a
long leave, the principal decide.

Each function is atomic and audited. A request locks its student's row, so two requests for one child sent
at once cannot both pass the overlap check; a decision locks the request, so two people deciding at once
(or a decision racing a cancel) find it already decided. An approval turns the sessions already in a roll
call into P (attendance.marks.services.student_mark_set); the roll call pre-fills the later ones itself
(attendance.marks.selectors.approved_leave_student_ids). The guardians hear of each decision by message."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext

from attendance.leave.selectors import enrolment_on, leave_overlapping, with_class
from attendance.marks.services import student_mark_set
from attendance.models import (
    LEAVE_WAITING,
    AttendanceMark,
    AttendanceSettings,
    LeaveRequest,
    Mark,
    RollCall,
    Session,
)
from attendance.permissions import can_decide, is_principal
from messaging.outbox.selectors import guardian_recipient
from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from schoolbook.text import nfc
from schoolbook.uploads import UploadRefused, attachment_check
from students.models import StaffMember, Student, StudentGuardian
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "leave"
SESSIONS_OF = {
    LeaveRequest.Sessions.ALL_DAY: (Session.MORNING, Session.AFTERNOON),
    LeaveRequest.Sessions.MORNING: (Session.MORNING,),
    LeaveRequest.Sessions.AFTERNOON: (Session.AFTERNOON,),
}
NOTE_LENGTH = AttendanceMark._meta.get_field("note").max_length


class LeaveError(Exception):
    """A refused write, with a message for the person who tried it and the form field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def _day(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def leave_period_text(leave: LeaveRequest) -> str:
    """ "ngày 25/11/2026 (cả ngày)" or "từ 25/11/2026 đến 27/11/2026 (buổi sáng)"."""
    if leave.start_date == leave.end_date:
        period = gettext("ngày %(day)s") % {"day": _day(leave.start_date)}
    else:
        period = gettext("từ %(start)s đến %(end)s") % {
            "start": _day(leave.start_date),
            "end": _day(leave.end_date),
        }
    return f"{period} ({str(leave.get_sessions_display()).lower()})"


# --- the guardian's side --------------------------------------------------------------------------------


def leave_attachment_check(upload) -> None:
    """A doctor's note (schoolbook.uploads.attachment_check), refused as a LeaveError on its field."""
    try:
        attachment_check(upload)
    except UploadRefused as error:
        raise LeaveError(str(error), "attachment") from error


@transaction.atomic
def leave_request(
    *,
    actor,
    guardian,
    student: Student,
    start_date: datetime.date,
    end_date: datetime.date,
    sessions: str,
    reason: str,
    attachment=None,
) -> LeaveRequest:
    """A guardian's request for one of their children, from today on, for days when the child is enrolled
    and has no other waiting or approved request for the same sessions."""
    if not StudentGuardian.objects.filter(guardian=guardian, student=student).exists():
        raise LeaveError(gettext("Bạn không phải phụ huynh của học sinh này."), "student")
    if sessions not in LeaveRequest.Sessions.values:
        raise LeaveError(gettext("Hãy chọn buổi nghỉ."), "sessions")
    reason = (reason or "").strip()
    if not reason:
        raise LeaveError(gettext("Hãy ghi lý do xin nghỉ."), "reason")
    if end_date < start_date:
        raise LeaveError(gettext("Ngày kết thúc phải trùng hoặc sau ngày bắt đầu."), "end_date")
    today = timezone.localdate()
    if start_date < today:
        raise LeaveError(
            gettext("Không thể xin nghỉ cho ngày đã qua: hãy chọn từ hôm nay (%(today)s) trở đi.")
            % {"today": _day(today)},
            "start_date",
        )
    if not enrolment_on(student.pk, start_date).filter(school_class__year__is_current=True).exists():
        raise LeaveError(
            gettext("%(name)s không có tên trong lớp nào của trường vào ngày %(day)s.")
            % {"name": student.full_name, "day": _day(start_date)},
            "student",
        )
    # One request at a time per child: the overlap check below then sees every request already made.
    Student.objects.select_for_update().filter(pk=student.pk).first()
    clash = leave_overlapping(student.pk, start_date, end_date, sessions).first()
    if clash is not None:
        raise LeaveError(
            gettext(
                "Con đã có đơn xin nghỉ %(period)s trùng với thời gian này (%(status)s). "
                "Hãy chọn ngày khác hoặc hủy đơn cũ trước."
            )
            % {"period": leave_period_text(clash), "status": str(clash.get_status_display()).lower()}
        )
    if attachment:
        leave_attachment_check(attachment)
    leave = LeaveRequest.objects.create(
        student=student,
        requested_by=actor,
        start_date=start_date,
        end_date=end_date,
        sessions=sessions,
        reason=reason,
        attachment=attachment or "",
    )
    audit_record(
        actor=actor,
        action="leave.request",
        obj=leave,
        after={
            "student": student.pk,
            "start": start_date.isoformat(),
            "end": end_date.isoformat(),
            "sessions": sessions,
            "attachment": bool(attachment),
        },
    )
    return leave


def _locked(leave: LeaveRequest) -> LeaveRequest:
    return with_class(LeaveRequest.objects.select_for_update(of=("self",)).select_related("student")).get(
        pk=leave.pk
    )


@transaction.atomic
def leave_cancel(*, actor, guardian, leave: LeaveRequest) -> LeaveRequest:
    """A guardian of the child withdraws a request nobody has decided for good yet."""
    leave = _locked(leave)
    if not StudentGuardian.objects.filter(guardian=guardian, student_id=leave.student_id).exists():
        raise LeaveError(gettext("Bạn không phải phụ huynh của học sinh này."))
    if leave.status not in LEAVE_WAITING:
        raise LeaveError(gettext("Đơn này đã được xử lý, không hủy được nữa."))
    before = leave.status
    leave.status = LeaveRequest.Status.CANCELLED
    leave.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="leave.cancel",
        obj=leave,
        before={"status": before},
        after={"status": leave.status},
    )
    return leave


# --- the school's side ----------------------------------------------------------------------------------


@transaction.atomic
def leave_decide(
    *, actor_staff: StaffMember, leave: LeaveRequest, approve: bool, comment: str = ""
) -> LeaveRequest:
    """Approve or reject. A homeroom teacher's approval of a request longer than the school's
    `long_leave_days` sends it on to the principal; any other approval is final and marks the sessions
    already taken P. A rejection needs a comment, so the family knows why."""
    comment = (comment or "").strip()
    if not approve and not comment:
        raise LeaveError(gettext("Hãy ghi lý do không duyệt để phụ huynh biết."), "comment")
    leave = _locked(leave)
    if not can_decide(actor_staff, leave):
        raise LeaveError(gettext("Đơn này không còn chờ bạn duyệt (có thể đã được xử lý)."))
    before = leave.status
    now = timezone.now()
    forward = (
        approve
        and leave.status == LeaveRequest.Status.PENDING
        and leave.days > AttendanceSettings.current().long_leave_days
        and not is_principal(actor_staff)
    )
    if forward:
        leave.status = LeaveRequest.Status.PENDING_PRINCIPAL
        leave.teacher_decided_by, leave.teacher_comment = actor_staff, comment
    else:
        if leave.status == LeaveRequest.Status.PENDING:
            leave.teacher_decided_by, leave.teacher_comment = actor_staff, comment
        leave.status = LeaveRequest.Status.APPROVED if approve else LeaveRequest.Status.REJECTED
        leave.decided_by, leave.decided_at, leave.comment = actor_staff, now, comment
    leave.save()
    marked = _marks_apply(leave, actor_staff) if leave.status == LeaveRequest.Status.APPROVED else 0
    sent = _tell_guardians(leave, actor_staff, comment)
    audit_record(
        actor=actor_staff.user,
        action="leave.approve" if approve else "leave.reject",
        obj=leave,
        before={"status": before},
        after={"status": leave.status, "comment": comment, "marked": marked, "messages": sent},
    )
    return leave


def _marks_apply(leave: LeaveRequest, actor_staff: StaffMember) -> int:
    """P for the approved sessions (up to today) that a session roll call already covers. A session where
    the student was marked late keeps its mark: the child was at school after all. Returns how many marks
    changed."""
    last = min(leave.end_date, timezone.localdate())
    if last < leave.start_date:
        return 0
    sessions = SESSIONS_OF[leave.sessions]
    taken = set(
        RollCall.objects.filter(
            period=0,
            date__range=(leave.start_date, last),
            session__in=sessions,
            school_class__enrolments__student_id=leave.student_id,
        ).values_list("date", "session")
    )
    kept = set(
        AttendanceMark.objects.filter(
            student_id=leave.student_id,
            roll_call__period=0,
            roll_call__date__range=(leave.start_date, last),
            mark__in=(Mark.LATE, Mark.ABSENT_EXCUSED),  # at school, or already excused
        ).values_list("roll_call__date", "roll_call__session")
    )
    note = Truncator(gettext("Đơn xin nghỉ: %(reason)s") % {"reason": nfc(leave.reason)}).chars(NOTE_LENGTH)
    changed = 0
    for day, session in sorted(taken - kept):
        changed += student_mark_set(
            student=leave.student,
            day=day,
            session=session,
            mark=Mark.ABSENT_EXCUSED,
            source=AttendanceMark.Source.LEAVE,
            note=note,
            actor_staff=actor_staff,
        )
    return changed


def leave_decision_text(school_name: str, leave: LeaveRequest, decider: StaffMember, comment: str) -> str:
    values = {
        "school": school_name,
        "name": leave.student.full_name,
        "period": leave_period_text(leave),
    }
    if leave.status == LeaveRequest.Status.APPROVED:
        text = gettext("%(school)s: Đơn xin nghỉ của con %(name)s %(period)s đã được duyệt.") % values
    elif leave.status == LeaveRequest.Status.REJECTED:
        text = gettext("%(school)s: Đơn xin nghỉ của con %(name)s %(period)s không được duyệt.") % values
    else:
        text = (
            gettext(
                "%(school)s: Giáo viên chủ nhiệm đã đồng ý đơn xin nghỉ của con %(name)s %(period)s; "
                "đơn đang chờ hiệu trưởng duyệt."
            )
            % values
        )
    if comment:
        text += "\n" + gettext("Ý kiến của %(who)s: %(comment)s") % {
            "who": decider.full_name,
            "comment": comment,
        }
    return text


def _tell_guardians(leave: LeaveRequest, decider: StaffMember, comment: str) -> int:
    """One message to each guardian of the child who receives notifications, and always to the one who
    asked (they are waiting for the answer). Returns the number of messages."""
    links = (
        StudentGuardian.objects.filter(student_id=leave.student_id)
        .filter(Q(receives_notifications=True) | Q(guardian__user_id=leave.requested_by_id))
        .select_related("guardian")
        .order_by("guardian_id")
    )
    school = School.objects.get(schema_name=connection.schema_name)
    text = leave_decision_text(school.name, leave, decider, comment)
    messages = messages_send(
        purpose=PURPOSE,
        reference=f"leave:{leave.pk}",
        title=gettext("Đơn xin nghỉ học"),
        link=settings.SITE_URL + school_reverse(school, "leave_detail", pk=leave.pk),
        items=[(guardian_recipient(row.guardian), text) for row in links],
    )
    return len(messages)
