"""Reminding a school's managers of the report requests it has not answered: from REMIND_BEFORE_DAYS
before the deadline until REMIND_AFTER_DAYS past it, at most once a day per request, through the messaging
pipeline (SMS, Zalo, e-mail or push, as the school's settings order them; quiet hours respected).

Each run claims its submissions by stamping `reminded_at` with one UPDATE … RETURNING in the same
transaction as the messages, the rows locked first: two runs at once cannot both claim one (the second
skips the rows the first holds, and finds them stamped afterwards), and a run that fails sends nothing and
stamps nothing."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from messaging.outbox.selectors import Recipient
from messaging.outbox.services import messages_send
from offices.models import ReportSubmission
from students.models import StaffMember
from students.permissions import MANAGERS
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "office_report"
REMIND_BEFORE_DAYS = 2
REMIND_AFTER_DAYS = 14
UNANSWERED = (ReportSubmission.Status.PENDING, ReportSubmission.Status.RETURNED)


def due_submissions(today: datetime.date):
    """Every school's submissions to remind of today (the beat's fan-out reads it in public)."""
    start_of_day = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    return ReportSubmission.objects.filter(
        status__in=UNANSWERED,
        school__is_active=True,
        request__deadline__lte=today + datetime.timedelta(days=REMIND_BEFORE_DAYS),
        request__deadline__gte=today - datetime.timedelta(days=REMIND_AFTER_DAYS),
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=start_of_day))


def reminder_text(submission: ReportSubmission, today: datetime.date) -> str:
    request = submission.request
    values = {
        "office": request.office.name,
        "title": request.title,
        "day": request.deadline.strftime("%d/%m/%Y"),
    }
    if request.deadline < today:
        return gettext("%(office)s: báo cáo “%(title)s” đã quá hạn %(day)s, trường chưa nộp.") % values
    if submission.status == ReportSubmission.Status.RETURNED:
        return gettext("%(office)s trả lại báo cáo “%(title)s” để sửa; hạn nộp %(day)s.") % values
    return gettext("%(office)s yêu cầu báo cáo “%(title)s”, hạn nộp %(day)s.") % values


def reminders_send(*, today: datetime.date | None = None) -> int:
    """In the school's schema: remind its managers of what is due; returns the number of messages."""
    today = today or timezone.localdate()
    school = School.objects.get(schema_name=connection.schema_name)
    with transaction.atomic():
        claimed = list(
            due_submissions(today)
            .filter(school=school)
            .select_related("request__office")
            .select_for_update(of=("self",), skip_locked=True)
        )
        if not claimed:
            return 0
        ReportSubmission.objects.filter(pk__in=[s.pk for s in claimed]).update(reminded_at=timezone.now())
        managers = StaffMember.objects.filter(is_active=True, roles__overlap=list(MANAGERS)).select_related(
            "user"
        )
        items = [
            (
                Recipient(phone=staff.user.phone, user_id=staff.user_id, name=staff.full_name),
                reminder_text(s, today),
            )
            for s in claimed
            for staff in managers
        ]
        messages_send(
            purpose=PURPOSE,
            items=items,
            title=gettext("Báo cáo cho Phòng/Sở"),
            link=settings.SITE_URL + school_reverse(school, "office_reports"),
            reference=f"office-report:{today.isoformat()}",
        )
    return len(items)
