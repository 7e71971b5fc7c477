"""Who may do what with notices. The principal and the school admin compose for anyone and decide on
the notices that need approval; any other staff member composes too, and what reaches beyond their own
homeroom class waits for that decision while the school says so (MessagingSettings)."""

from accounts.roles import Role
from messaging.models import MessagingSettings
from notices.audience import AudienceChoice
from notices.models import Audience, Notice, Status
from students.models import SchoolClass, StaffMember
from students.selectors import current_enrolments

NOTICE_MANAGERS = (Role.SCHOOL_ADMIN, Role.PRINCIPAL)
EDITABLE = (Status.DRAFT, Status.REJECTED)
CANCELLABLE = (Status.PENDING_APPROVAL, Status.SCHEDULED)


def is_notice_manager(staff: StaffMember | None) -> bool:
    return staff is not None and staff.has_role(*NOTICE_MANAGERS)


def homeroom_class_ids(staff: StaffMember) -> set[int]:
    return set(
        SchoolClass.objects.filter(homeroom_teacher=staff, year__is_current=True).values_list("pk", flat=True)
    )


def within_homeroom(staff: StaffMember, choice: AudienceChoice) -> bool:
    """The guardians of the staff member's own homeroom class(es), or of chosen students studying there."""
    if choice.audience == Audience.CLASSES:
        return bool(choice.class_ids) and choice.class_ids <= homeroom_class_ids(staff)
    if choice.audience == Audience.STUDENTS:
        inside = current_enrolments().filter(
            student_id__in=choice.student_ids, school_class__homeroom_teacher=staff
        )
        return bool(choice.student_ids) and inside.values("student_id").distinct().count() == len(
            choice.student_ids
        )
    return False


def needs_approval(staff: StaffMember, choice: AudienceChoice) -> bool:
    if is_notice_manager(staff) or within_homeroom(staff, choice):
        return False
    return MessagingSettings.current().teacher_notices_need_approval


def can_edit(staff: StaffMember | None, notice: Notice) -> bool:
    """Only the author, only before it is sent or while it is a draft again after a rejection."""
    return staff is not None and notice.author_id == staff.pk and notice.status in EDITABLE


def can_decide(staff: StaffMember | None, notice: Notice) -> bool:
    return is_notice_manager(staff) and notice.status == Status.PENDING_APPROVAL


def can_cancel(staff: StaffMember | None, notice: Notice) -> bool:
    return (
        staff is not None
        and (notice.author_id == staff.pk or is_notice_manager(staff))
        and notice.status in CANCELLABLE
    )
