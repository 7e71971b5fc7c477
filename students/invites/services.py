"""Inviting parents: one message per guardian with the sign-in link, through the messaging
pipeline, recorded (GuardianInvite) and audited. The page confirms first (selectors.invite_selection)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from messaging.outbox.services import messages_send
from schoolbook.audit.services import audit_record
from students.invites.selectors import invite_selection
from students.models import Guardian, GuardianInvite, StaffMember

PURPOSE = "invite"


@transaction.atomic
def guardians_invite(*, actor_staff: StaffMember, whom: str, school_name: str) -> int:
    """Invite the guardians `whom` chooses (selectors.Whom), except those already invited today: one
    message each, one GuardianInvite row each, one audit event ("guardians.invite"). The chosen
    guardians' rows are locked, so two managers inviting at once do not invite anyone twice the same day.
    Returns the number invited."""
    now = timezone.now()
    list(Guardian.objects.select_for_update().values_list("pk", flat=True))
    selection = invite_selection(whom, school_name, today=timezone.localdate(now))
    if selection.guardians:
        GuardianInvite.objects.bulk_create(
            GuardianInvite(guardian=g, invited_by=actor_staff, invited_at=now) for g in selection.guardians
        )
        messages_send(purpose=PURPOSE, items=selection.items)
    audit_record(
        actor=actor_staff.user,
        action="guardians.invite",
        after={"whom": whom, "invited": len(selection.guardians), "skipped_today": selection.invited_today},
        object_repr=gettext("Mời phụ huynh"),
    )
    return len(selection.guardians)
