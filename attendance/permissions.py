"""Who may do what in attendance: the named predicates (a yes/no on real rows) and the role decorators of the
pages. Views answer 404 when they fail (schoolbook.permissions: a page you may not see does not exist)."""

from accounts.roles import Role
from schoolbook.permissions import school_role_required
from students.models import SchoolClass, StaffMember, Subject
from students.permissions import is_manager

staff_required = school_role_required(*Role.values)  # any staff member; guardians and others get 404


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
