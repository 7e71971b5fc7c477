"""Education offices (a district's Phòng GD&ĐT, a province's Sở GD&ĐT) in the public schema: the schools
each covers, its staff, and one small summary row per school that the offices' pages read. An office never
reads a school's schema: what it sees of a school is that school's summary (computed inside the school by
a task: schoolbook.office_summaries) and the documents the school sends it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


# The data links to operations centres and their outbox (offices/links/models.py), known to Django from here.
from offices.links.models import DataLink, LinkRecord  # noqa: E402, F401
