"""Who may do what in the gradebook: the predicates and role lists that the pages and services of every part
of the gradebook check. A predicate takes the staff member (None for someone with no staff record) and the
object; only may_import reads the database (one query)."""

from accounts.roles import Role
from students.models import SchoolClass, StaffMember, TeachingAssignment
from students.permissions import is_homeroom_teacher_of, is_manager

# Settings of the school's gradebook, not pedagogy: the school admin and the principal.
PLAN_EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)  # the number of regular assessments of the plan
DEADLINE_SETTERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)  # the entry deadlines
SETTINGS_EDITORS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)  # the publication policy
ON_BEHALF_ROLES = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)  # write a teacher's gradebook for them (Excel import)

EDIT, VIEW = "edit", "view"


def grid_access(staff: StaffMember | None, assignment: TeachingAssignment) -> str | None:
    """EDIT for the assignment's teacher; VIEW for managers and the class's homeroom teacher; None (→ 404)
    for anyone else."""
    if staff is None:
        return None
    if assignment.teacher_id == staff.pk:
        return EDIT
    if is_manager(staff) or is_homeroom_teacher_of(staff, assignment.school_class):
        return VIEW
    return None


def can_publish(staff: StaffMember | None, assignment: TeachingAssignment) -> bool:
    """Who publishes a secondary column or a primary subject's checkpoint: the assignment's teacher, the
    class's homeroom teacher, the principal and vice-principals (see grades/publication/services.py)."""
    return staff is not None and (
        assignment.teacher_id == staff.pk
        or assignment.school_class.homeroom_teacher_id == staff.pk
        or staff.has_role(Role.PRINCIPAL, Role.VICE_PRINCIPAL)
    )


def may_write(staff: StaffMember | None, assignment: TeachingAssignment) -> bool:
    """The subject's teacher, or a school admin / principal on the teacher's behalf."""
    return staff is not None and (assignment.teacher_id == staff.pk or staff.has_role(*ON_BEHALF_ROLES))


def may_import(staff: StaffMember | None, school_class: SchoolClass) -> bool:
    return staff is not None and (
        staff.has_role(*ON_BEHALF_ROLES) or school_class.assignments.filter(teacher=staff).exists()
    )
