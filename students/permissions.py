"""Who may see a student or a class: named predicates, each a yes/no on real rows. Views answer 404 when
they fail (schoolbook.permissions: a page you may not see does not exist)."""

from functools import wraps

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.roles import Role
from students.models import Enrolment, SchoolClass, StaffMember, Student, StudentGuardian

MANAGERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL, Role.VICE_PRINCIPAL)


def is_manager(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*MANAGERS)


def is_guardian_of(guardian, student: Student) -> bool:
    return (
        guardian is not None and StudentGuardian.objects.filter(guardian=guardian, student=student).exists()
    )


def is_homeroom_teacher_of(staff: StaffMember | None, school_class: SchoolClass) -> bool:
    return staff is not None and school_class.homeroom_teacher_id == staff.pk


def teaches_class(staff: StaffMember | None, school_class: SchoolClass) -> bool:
    return staff is not None and school_class.assignments.filter(teacher=staff).exists()


def is_homeroom_teacher_of_student(staff: StaffMember | None, student: Student) -> bool:
    """Homeroom teacher of a class the student is enrolled in today (any past class does not count)."""
    if staff is None:
        return False
    today = timezone.localdate()
    return (
        Enrolment.objects.filter(student=student, school_class__homeroom_teacher=staff)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .exists()
    )


def can_view_student(request, student: Student) -> bool:
    """Managers; the homeroom teacher of the student's current class; a guardian of the student."""
    return (
        is_manager(request.staff)
        or is_homeroom_teacher_of_student(request.staff, student)
        or is_guardian_of(request.guardian, student)
    )


def guardian_of_student_required(view=None, *, profile: bool = True):
    """For views taking `pk` of a student: only that student's guardians (and the staff who may see the
    student, see can_view_student) get the page; everyone else in the school gets 404. request.student is
    the full profile (guardians, enrolment history), or with profile=False the student and current class
    alone (students.selectors.student_with_class), for pages that show nothing else of the student: a
    guardian's own child then comes from the guardian's cached children (students.selectors.
    children_of_guardian), the same student and class."""
    if view is None:
        return lambda view: guardian_of_student_required(view, profile=profile)

    @wraps(view)
    def wrapper(request, pk, *args, **kwargs):
        from students.selectors import children_of_guardian, student_profile, student_with_class

        student = None
        if not profile and request.guardian is not None:
            student = children_of_guardian(request.guardian).get(pk)
        if student is None:
            student = (student_profile if profile else student_with_class)(pk)
            if student is None or not can_view_student(request, student):
                raise Http404
        request.student = student
        return view(request, pk, *args, **kwargs)

    return wrapper
