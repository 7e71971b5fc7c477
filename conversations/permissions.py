"""Who may do what with conversations beyond the pure rules (conversations.rules): the managers who hide a
reported message and set the school's choices, and the board's reading by the school's policy. Views answer
404 when a rule fails."""

from accounts.roles import Role
from conversations.models import ConversationSettings
from schoolbook.permissions import school_role_required
from students.models import StaffMember
from students.permissions import is_manager

# The principal and the school admin hide a reported message and set the school's choices.
PRINCIPALS = (Role.PRINCIPAL, Role.SCHOOL_ADMIN)

staff_required = school_role_required(*Role.values)
principals_required = school_role_required(*PRINCIPALS)


def board_reads(staff: StaffMember | None) -> bool:
    """The board (Ban giám hiệu: principal, vice principals, school admin) reads every conversation of a
    child only where the school turned "Ban giám hiệu xem được hội thoại" on (default off)."""
    return is_manager(staff) and ConversationSettings.current().principal_reads
