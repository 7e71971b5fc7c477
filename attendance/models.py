"""Attendance in a school's schema: roll calls (per class, day and session, or per period), the marks of the
students who were not simply present, the alerts sent for them, leave requests, and the school gate's
devices and events.

A roll call stores only its exceptions: a student without a mark was present. That keeps a 45-student save
to the few who are absent, and "everyone present by default" true in the data."""

import datetime

from django.conf import settings
from django.db import connection, models
from django.utils.translation import gettext_lazy as _

from schoolbook.uploads import stored_name
from students.models import SchoolClass, StaffMember, Student, Subject


class Session(models.TextChoices):
    MORNING = "morning", _("Buổi sáng")
    AFTERNOON = "afternoon", _("Buổi chiều")


class Mark(models.TextChoices):
    # Circular 22 counts both kinds of absence towards the 45 sessions (buổi) of a school year; late does not.
    ABSENT_EXCUSED = "P", _("Vắng có phép")
    ABSENT_UNEXCUSED = "K", _("Vắng không phép")
    LATE = "late", _("Đi muộn")


ABSENCES = (Mark.ABSENT_EXCUSED, Mark.ABSENT_UNEXCUSED)


class RollCall(models.Model):
    """One class's roll call for one day and session (`period` 0), or for one period of a subject teacher's
    lesson (`period` 1–10, with the subject). Only session roll calls count as the sessions (buổi) of the
    regulations; period roll calls add detail."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="roll_calls")
    date = models.DateField(_("ngày"))
    session = models.CharField(_("buổi"), max_length=10, choices=Session.choices)
    period = models.PositiveSmallIntegerField(_("tiết"), default=0)
    subject = models.ForeignKey(Subject, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    taken_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # a stale correction is a conflict, not an overwrite

    class Meta:
        ordering = ["-date", "school_class__name", "session", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_class", "date", "session", "period"], name="one_roll_call_per_class_slot"
            ),
            models.CheckConstraint(
                condition=models.Q(period=0, subject__isnull=True)
                | models.Q(period__gt=0, subject__isnull=False),
                name="roll_call_period_has_subject",
            ),
        ]
        indexes = [models.Index(fields=["date", "session"])]

    def __str__(self):
        return f"{self.school_class} {self.date} {self.get_session_display()}"


class AttendanceMark(models.Model):
    """A student who was not simply present at a roll call. `source` says who decided it: the teacher, an
    approved leave request (P), or the gate (an arrival after the school's late time)."""

    class Source(models.TextChoices):
        TEACHER = "teacher", _("Giáo viên")
        LEAVE = "leave", _("Đơn xin nghỉ")
        GATE = "gate", _("Cổng trường")

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="marks")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="attendance_marks")
    mark = models.CharField(_("điểm danh"), max_length=5, choices=Mark.choices)
    note = models.CharField(_("ghi chú"), max_length=300, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.TEACHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "student"], name="one_mark_per_student_roll_call")
        ]
        indexes = [models.Index(fields=["student", "mark"])]

    def __str__(self):
        return f"{self.student}: {self.get_mark_display()}"


class AbsenceAlert(models.Model):
    """What guardians were told about one student's session: at most one row per student, day and session,
    so a re-saved roll call never alerts twice; a changed mark sends a correction and records it here."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    session = models.CharField(max_length=10, choices=Session.choices)
    # What they were last told; "" after a correction to present.
    mark = models.CharField(max_length=5, choices=Mark.choices, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "date", "session"], name="one_alert_per_student_session"
            )
        ]

    def __str__(self):
        return f"{self.student_id} {self.date} {self.session}: {self.mark or 'present'}"


def leave_attachment_path(leave: "LeaveRequest", filename: str) -> str:
    """leave/<schema>/<random>.<pdf|jpg|png>: per school, never the uploaded name nor its extension."""
    return stored_name(f"leave/{connection.schema_name}", leave.attachment)


class LeaveRequest(models.Model):
    """A guardian's request (xin nghỉ học) for one child: dates and sessions, a reason, an optional photo of a
    doctor's note. The homeroom teacher decides; a long one (school setting) goes on to the principal."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chờ giáo viên chủ nhiệm duyệt")
        PENDING_PRINCIPAL = "pending_principal", _("Chờ hiệu trưởng duyệt")
        APPROVED = "approved", _("Đã duyệt")
        REJECTED = "rejected", _("Không duyệt")
        CANCELLED = "cancelled", _("Đã hủy")

    class Sessions(models.TextChoices):
        ALL_DAY = "all_day", _("Cả ngày")
        MORNING = Session.MORNING.value, Session.MORNING.label
        AFTERNOON = Session.AFTERNOON.value, Session.AFTERNOON.label

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="leave_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("từ ngày"))
    end_date = models.DateField(_("đến ngày"))
    sessions = models.CharField(_("buổi"), max_length=10, choices=Sessions.choices, default=Sessions.ALL_DAY)
    reason = models.TextField(_("lý do"))
    attachment = models.FileField(
        _("ảnh giấy tờ"), upload_to=leave_attachment_path, max_length=300, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    teacher_decided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    teacher_comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(_("nhận xét"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="leave_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["student", "start_date", "end_date"])]

    def __str__(self):
        return f"{self.student}: {self.start_date} – {self.end_date}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


# Leave requests someone still has to decide (the leave pages, the managers' tiles).
LEAVE_WAITING = (LeaveRequest.Status.PENDING, LeaveRequest.Status.PENDING_PRINCIPAL)


class AttendanceSettings(models.Model):
    """A school's attendance choices (one row; `current()` gives the defaults where there is none)."""

    long_leave_days = models.PositiveSmallIntegerField(
        _("đơn nghỉ dài hơn (ngày) cần hiệu trưởng duyệt"), default=3
    )
    morning_starts = models.TimeField(_("giờ vào học buổi sáng"), default=datetime.time(7, 0))
    afternoon_starts = models.TimeField(_("giờ vào học buổi chiều"), default=datetime.time(13, 30))
    notify_arrivals = models.BooleanField(_("báo phụ huynh khi con đến trường"), default=False)
    notify_departures = models.BooleanField(_("báo phụ huynh khi con ra về"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return "attendance settings"

    @classmethod
    def current(cls) -> "AttendanceSettings":
        return cls.objects.order_by("pk").first() or cls()


class GateDevice(models.Model):
    """A face-recognition or card reader at the gate. It authenticates with its own token (only a hash is
    stored; the token is shown once, when the device is registered)."""

    name = models.CharField(_("tên thiết bị"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("đang dùng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.name


class GateEvent(models.Model):
    """One arrival or departure as the device saw it, stored once (device, device's event id). An event whose
    person we cannot match to a student is kept for review (`student` empty), never dropped."""

    class Kind(models.TextChoices):
        ARRIVAL = "arrival", _("Đến trường")
        DEPARTURE = "departure", _("Ra về")

    device = models.ForeignKey(GateDevice, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    person_ref = models.CharField(max_length=100)  # the student code (or card number) the device reported
    student = models.ForeignKey(
        Student, null=True, blank=True, on_delete=models.SET_NULL, related_name="gate_events"
    )
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="one_gate_event_per_device_id")
        ]
        indexes = [models.Index(fields=["student", "occurred_at"])]

    def __str__(self):
        return f"{self.person_ref} {self.get_kind_display()} {self.occurred_at}"
