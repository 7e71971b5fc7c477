"""What the sector database exchange reads: the current year's students, classes and serving staff, each in
one query, in the order of the lists the school knows (class, then name)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import User
from students.models import SchoolClass, StaffMember, Student, StudentStatus
from students.selectors import current_enrolments, current_year


@dataclass(frozen=True)
class SectorCounts:
    students: int
    students_without_id: int
    classes: int
    staff: int


def sector_students():
    """Students studying and enrolled in a class of the current year, with their class and grade."""
    enrolments = (
        current_enrolments()
        .filter(student__status=StudentStatus.STUDYING)
        .select_related("student", "school_class__grade")
        .order_by("school_class__grade__number", "school_class__name", "student__sort_key", "student_id")
    )
    seen = set()
    for enrolment in enrolments.iterator(chunk_size=1000):
        if enrolment.student_id not in seen:  # a move today: the class the student is in from today
            seen.add(enrolment.student_id)
            yield enrolment


def sector_classes():
    """The current year's classes (archived ones left out), with grade, homeroom teacher and headcount."""
    today = timezone.localdate()
    enrolled = Q(enrolments__ends_on__isnull=True) | Q(enrolments__ends_on__gte=today)
    return (
        SchoolClass.objects.filter(year=current_year(), archived_at__isnull=True)
        .select_related("grade", "year", "homeroom_teacher")
        .annotate(students=Count("enrolments", filter=enrolled & Q(enrolments__student__status="studying")))
        .order_by("grade__number", "name")
    )


def sector_staff() -> list[tuple[StaffMember, User]]:
    """Serving staff with their platform user (phone, e-mail) and subjects."""
    staff = list(StaffMember.objects.filter(is_active=True).prefetch_related("subjects"))
    users = User.objects.in_bulk([member.user_id for member in staff])
    return [(member, users[member.user_id]) for member in staff]


def sector_counts() -> SectorCounts:
    students = Student.objects.filter(
        status=StudentStatus.STUDYING, pk__in=current_enrolments().values("student_id")
    ).aggregate(all=Count("pk"), without=Count("pk", filter=Q(sector_id="")))
    return SectorCounts(
        students=students["all"],
        students_without_id=students["without"],
        classes=SchoolClass.objects.filter(year=current_year(), archived_at__isnull=True).count(),
        staff=StaffMember.objects.filter(is_active=True).count(),
    )
