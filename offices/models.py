"""Education offices (a district's Phòng GD&ĐT, a province's Sở GD&ĐT) in the public schema: the schools
each covers, its staff, and one small summary row per school that the offices' pages read. An office never
reads a school's schema: what it sees of a school is that school's summary (computed inside the school by
a task: schoolbook.office_summaries) and the documents the school sends it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from schoolbook.uploads import stored_name
from tenants.models import SCHOOL_CODE_RE, School, validate_school_code


class EducationOffice(models.Model):
    class Kind(models.TextChoices):
        DISTRICT = "district", _("Phòng GD&ĐT")
        PROVINCE = "province", _("Sở GD&ĐT")

    code = models.CharField(_("mã đơn vị"), max_length=40, unique=True, validators=[validate_school_code])
    name = models.CharField(_("tên đơn vị"), max_length=200)
    kind = models.CharField(_("cấp"), max_length=10, choices=Kind.choices)
    province = models.CharField(_("tỉnh/thành phố"), max_length=100)
    district = models.CharField(_("quận/huyện/xã"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=SCHOOL_CODE_RE.pattern), name="office_code_is_slug"
            ),
            models.CheckConstraint(
                condition=models.Q(kind="province") | ~models.Q(district=""),
                name="district_office_has_district",
            ),
        ]

    def __str__(self):
        return self.name


class OfficeSchool(models.Model):
    """A school the office covers. Added one by one or for a whole district/province, and for every school
    onboarded there later; removing the row withdraws the school from the office's pages at once."""

    office = models.ForeignKey(EducationOffice, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="office_memberships")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "school"], name="school_once_per_office")]

    def __str__(self):
        return f"{self.school} ∈ {self.office}"


class OfficeStaff(models.Model):
    class Role(models.TextChoices):
        HEAD = "head", _("Lãnh đạo")
        SPECIALIST = "specialist", _("Chuyên viên")

    office = models.ForeignKey(EducationOffice, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="office_roles")
    role = models.CharField(_("vai trò"), max_length=12, choices=Role.choices, default=Role.SPECIALIST)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["office", "user"], name="office_staff_once")]

    def __str__(self):
        return f"{self.user} @ {self.office}"


class SchoolSummary(models.Model):
    """A school's figures for the offices, written by a task inside the school (never by an office's
    request) and read by the offices' pages alone. Plain columns, so that the lists sort in SQL."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, primary_key=True, related_name="summary")
    day = models.DateField(help_text="the school day the day's figures are for")
    refreshed_at = models.DateTimeField()
    students = models.PositiveIntegerField(default=0)
    classes = models.PositiveIntegerField(default=0)
    # Today's roll call: classes expected to take it, classes that did; marks by status.
    roll_calls_due = models.PositiveIntegerField(default=0)
    roll_calls_taken = models.PositiveIntegerField(default=0)
    marked = models.PositiveIntegerField(default=0)
    present = models.PositiveIntegerField(default=0)
    # Grade entry in the current term: scores entered against those the assessment plans call for.
    grades_expected = models.PositiveIntegerField(default=0)
    grades_entered = models.PositiveIntegerField(default=0)
    # The last 30 days' notices: published, their recipients, and those who read them.
    notices_sent = models.PositiveIntegerField(default=0)
    notice_recipients = models.PositiveIntegerField(default=0)
    notice_reached = models.PositiveIntegerField(default=0)
    leave_pending = models.PositiveIntegerField(default=0)
    leave_recent = models.PositiveIntegerField(default=0)
    # The school year's invoices, in đồng (None: the school collects no fees here).
    fees_due = models.BigIntegerField(null=True)
    fees_paid = models.BigIntegerField(null=True)

    def __str__(self):
        return f"{self.school} @ {self.refreshed_at}"


class ReportKind(models.TextChoices):
    STATISTICS = "statistics", _("Thống kê đầu năm: lớp, học sinh, cán bộ")
    ATTENDANCE = "attendance", _("Tổng hợp chuyên cần trong kỳ")
    FEES = "fees", _("Tổng hợp thu học phí năm học")
    FILE = "file", _("Nộp tệp (PDF, ảnh)")


class ReportRequest(models.Model):
    """What an office asks of every school it covers, by a deadline. A submission row per school is made
    when the request is sent, so who has not submitted is one query."""

    office = models.ForeignKey(EducationOffice, on_delete=models.CASCADE, related_name="report_requests")
    title = models.CharField(_("tiêu đề"), max_length=200)
    kind = models.CharField(_("loại báo cáo"), max_length=12, choices=ReportKind.choices)
    instructions = models.TextField(_("hướng dẫn"), blank=True)
    period_start = models.DateField(_("từ ngày"), null=True, blank=True)
    period_end = models.DateField(_("đến ngày"), null=True, blank=True)
    deadline = models.DateField(_("hạn nộp"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="attendance")
                | models.Q(
                    period_start__isnull=False,
                    period_end__isnull=False,
                    period_start__lte=models.F("period_end"),
                ),
                name="attendance_report_has_period",
            )
        ]

    def __str__(self):
        return self.title


def report_file_path(submission: "ReportSubmission", filename: str) -> str:
    """reports/<office>/<request>/<school>/<random>.<pdf|jpg|png> (schoolbook.uploads.stored_name)."""
    request = submission.request
    return stored_name(f"reports/{request.office_id}/{request.pk}/{submission.school_id}", submission.file)


class ReportSubmission(models.Model):
    """One school's answer to a request: its figures (or file), where it stands, and the office's word."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Chưa nộp")
        SUBMITTED = "submitted", _("Đã nộp, chờ duyệt")
        RETURNED = "returned", _("Trả lại để sửa")
        APPROVED = "approved", _("Đã duyệt")
        LOCKED = "locked", _("Đã khóa")

    request = models.ForeignKey(ReportRequest, on_delete=models.CASCADE, related_name="submissions")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="report_submissions")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    figures = models.JSONField(default=dict, blank=True)
    file = models.FileField(upload_to=report_file_path, max_length=300, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    office_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "school"], name="one_submission_per_school")
        ]

    def __str__(self):
        return f"{self.request} / {self.school}"

    @property
    def editable(self) -> bool:
        """The school may still change it: not yet sent, or sent back."""
        return self.status in (self.Status.PENDING, self.Status.RETURNED)


# The data links to operations centres and their outbox (offices/links/models.py), known to Django from here.
from offices.links.models import DataLink, LinkRecord  # noqa: E402, F401
