"""Who may do what in attendance: the named predicates (a yes/no on real rows) and the role decorators of the
pages. Views answer 404 when they fail (schoolbook.permissions: a page you may not see does not exist)."""

from accounts.roles import Role
from attendance.models import LeaveRequest
from schoolbook.permissions import school_role_required
from students.models import SchoolClass, StaffMember, Subject
from students.permissions import MANAGERS, is_manager

# The principal and the school admin: they decide a long leave request after the homeroom teacher (and may
# decide any request themselves), manage the gate's devices and the attendance settings, and export.
PRINCIPALS = (Role.PRINCIPAL, Role.SCHOOL_ADMIN)

staff_required = school_role_required(*Role.values)  # any staff member; guardians and others get 404
principals_required = school_role_required(*PRINCIPALS)
reviewers_required = school_role_required(*MANAGERS)  # the gate's review list


def is_principal(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*PRINCIPALS)


def can_take_roll_call(
    staff: StaffMember | None, school_class: SchoolClass, period: int = 0, subject: Subject | None = None
) -> bool:
    """Managers, any roll call; the homeroom teacher, the session roll call (period 0); the teacher of the
    class's subject, a period roll call of that subject."""
    if staff is None:
        return False
    if is_manager(staff):
        return True
    if period == 0:
        return school_class.homeroom_teacher_id == staff.pk
    return subject is not None and school_class.assignments.filter(teacher=staff, subject=subject).exists()


# --- leave requests ---------------------------------------------------------------------------------------


def is_class_teacher_of(staff: StaffMember | None, leave: LeaveRequest) -> bool:
    """The homeroom teacher of the request's class (`leave` from attendance.leave.selectors: leave_visible or
    with_class)."""
    return (
        staff is not None and SchoolClass.objects.filter(homeroom_teacher=staff, pk=leave.class_id).exists()
    )


def can_decide(staff: StaffMember | None, leave: LeaveRequest) -> bool:
    """The homeroom teacher decides a pending request; the principal or school admin decides a long one the
    teacher approved, and may also decide a pending one themselves (a class without a homeroom teacher)."""
    if staff is None:
        return False
    if leave.status == LeaveRequest.Status.PENDING:
        return is_principal(staff) or is_class_teacher_of(staff, leave)
    return leave.status == LeaveRequest.Status.PENDING_PRINCIPAL and is_principal(staff)
