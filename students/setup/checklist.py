"""The "getting started" checklist on a new school's home: each step of setting a school up, ticked from the
school's own data (never from a flag someone sets), with the page that does it. Managers see it until every
step is done."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GuardianInvite,
    SchoolClass,
    StaffMember,
    StudentGuardian,
    TeachingAssignment,
)
from students.selectors import current_year


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    url_name: str
    done: bool
    detail: str = ""


# Onboarding proposes the current year with default dates; the step is done once someone of the school has
# created a year or saved its dates (each province sets its own calendar), which the audit trail records.
YEAR_SET_ACTIONS = ("year.create", "year.dates")


def setup_steps() -> list[Step]:
    """The six steps in the order a school does them, each ticked from the school's data."""
    year = current_year()
    year_set = (
        year is not None
        and year.terms.count() == 2
        and AuditEvent.objects.filter(action__in=YEAR_SET_ACTIONS).exists()
    )
    classes = SchoolClass.objects.filter(year=year, archived_at__isnull=True)
    class_count = classes.count()
    without_homeroom = classes.filter(homeroom_teacher__isnull=True).count()
    teachers = StaffMember.objects.filter(is_active=True, roles__contains=[Role.TEACHER]).count()
    enrolled = Enrolment.objects.filter(school_class__in=classes, ends_on__isnull=True)
    students = enrolled.count()
    without_guardian = (
        enrolled.exclude(Exists(StudentGuardian.objects.filter(student=OuterRef("student_id")))).count()
        if students
        else 0
    )
    assignments = TeachingAssignment.objects.filter(school_class__in=classes).count()
    return [
        Step("year", _("Năm học và học kỳ"), "year_list", year_set,
             "" if year_set else _("Kiểm tra ngày bắt đầu, kết thúc của năm học và hai học kỳ.")),
        Step("classes", _("Lớp học và giáo viên chủ nhiệm"), "class_list",
             class_count > 0 and without_homeroom == 0,
             _("%(count)s lớp chưa có giáo viên chủ nhiệm.") % {"count": without_homeroom}
             if without_homeroom else ""),
        Step("staff", _("Cán bộ, giáo viên"), "staff_list", teachers > 0),
        Step("students", _("Học sinh và phụ huynh"), "student_list",
             students > 0 and without_guardian == 0,
             _("%(count)s học sinh chưa có phụ huynh.") % {"count": without_guardian}
             if without_guardian else ""),
        Step("assignments", _("Phân công giảng dạy"), "assignment_list", assignments > 0),
        Step("invite", _("Mời phụ huynh đăng nhập"), "parent_invite", GuardianInvite.objects.exists()),
    ]  # fmt: skip
