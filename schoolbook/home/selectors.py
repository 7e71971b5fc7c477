"""The school home's figures. They come from several apps (staff, the audit trail, messaging, attendance,
transfers, the setup checklist), which is why the home lives in the composition layer and not in any one
of them."""

from django.db.models import Count, Q

from accounts.roles import Role
from attendance.stats.selectors import attendance_tiles
from messaging.models import Delivery
from offices.models import ReportSubmission
from schoolbook.audit.models import AuditEvent
from students.models import StaffMember
from students.setup.checklist import setup_steps
from students.transfers.selectors import transfers_incoming


def staff_counts() -> dict[str, int]:
    """Active staff per role, in one query."""
    aggregates = {role.value: Count("id", filter=Q(roles__contains=[role.value])) for role in Role}
    return StaffMember.objects.filter(is_active=True).aggregate(total=Count("id"), **aggregates)


EDITABLE = (ReportSubmission.Status.PENDING, ReportSubmission.Status.RETURNED)


def manager_figures(school) -> dict:
    """What only managers see: recent events, messages sent, attendance tiles, incoming transfers, the
    offices' report requests still to answer, and the setup checklist while it is not done."""
    figures = {
        "recent_events": AuditEvent.objects.select_related("actor")[:10],
        "messages_sent": Delivery.objects.filter(
            status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED]
        ).count(),
        "attendance_tiles": attendance_tiles(),
        "incoming_transfers": list(transfers_incoming(school=school, pending_only=True)[:5]),
        "reports_due": list(
            ReportSubmission.objects.filter(school=school, status__in=EDITABLE)
            .select_related("request", "request__office")
            .order_by("request__deadline")[:5]
        ),
    }
    steps = setup_steps()
    done = sum(step.done for step in steps)
    if done < len(steps):
        figures.update(setup_steps=steps, setup_steps_done=done)
    return figures
