"""Who may do what with a school's fees. Failing a rule is a 404 (schoolbook.permissions)."""

from accounts.roles import Role
from students.models import StaffMember

FEE_MANAGERS = (Role.ACCOUNTANT, Role.SCHOOL_ADMIN)  # set up fees, invoice, match, refund
FEE_VIEWERS = (*FEE_MANAGERS, Role.PRINCIPAL, Role.VICE_PRINCIPAL)  # see everything, change nothing
REDUCTION_DECIDERS = (Role.PRINCIPAL,)  # exemptions and reductions are the principal's decision


def can_manage_fees(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*FEE_MANAGERS)


def can_view_fees(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*FEE_VIEWERS)


def can_decide_reductions(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*REDUCTION_DECIDERS)
