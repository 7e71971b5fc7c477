"""Fee reminders to guardians: a few days before an invoice is due and once it is overdue, while something
is still owed, through the messaging pipeline (messaging.outbox.services.messages_send, which holds them
during the school's quiet hours).

Once per invoice and step: each run claims its invoices by inserting their Reminder rows with
`ON CONFLICT DO NOTHING … RETURNING` (payments.Reminder's unique constraint), and writes the messages in the
same transaction. Two runs at once (beat twice, a task redelivered after a worker died) cannot both claim
an invoice: the second waits on the first's rows and gets none of them; a run that fails sends nothing and
claims nothing. A run that missed a day catches up: "before" covers every invoice due in the next
BEFORE_DUE_DAYS days, "overdue" every invoice past due by OVERDUE_AFTER_DAYS or more."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from messaging.outbox.selectors import format_vnd, guardian_recipient
from messaging.outbox.services import messages_send
from payments.ledger.notify import parent_invoice_url
from payments.ledger.services import OPEN_STATES
from payments.models import Invoice, Reminder
from schoolbook.bulk import bulk_insert
from schoolbook.text import nfc
from students.selectors import notified_guardian_links
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "fee_reminder"
BEFORE_DUE_DAYS = 3  # remind this many days before the due date (or fewer, for an invoice made late)
OVERDUE_AFTER_DAYS = 1  # and once it is this many days past it


def reminders_send(*, today: datetime.date | None = None) -> int:
    """Send what is due today in the current school; returns the number of messages written."""
    today = today or timezone.localdate()
    steps = (
        (
            Reminder.Step.BEFORE_DUE,
            Q(due_on__gte=today, due_on__lte=today + datetime.timedelta(BEFORE_DUE_DAYS)),
        ),
        (Reminder.Step.OVERDUE, Q(due_on__lte=today - datetime.timedelta(OVERDUE_AFTER_DAYS))),
    )
    return sum(_step_send(step, due, today) for step, due in steps)


def _step_send(step: str, due: Q, today: datetime.date) -> int:
    with transaction.atomic():
        candidates = list(
            Invoice.objects.filter(due, state__in=OPEN_STATES, total__gt=F("paid"))
            .exclude(reminders__step=step)
            .values_list("pk", flat=True)
        )
        claimed = _claim(step, candidates)
        if not claimed:
            return 0
        invoices: dict[int, list[Invoice]] = {}
        for invoice in Invoice.objects.filter(pk__in=claimed).select_related("student").order_by("pk"):
            invoices.setdefault(invoice.student_id, []).append(invoice)
        school = School.objects.get(schema_name=connection.schema_name)
        items = [
            (guardian_recipient(link.guardian), reminder_text(school, invoice, step))
            for link in notified_guardian_links(invoices)
            for invoice in invoices[link.student_id]
        ]
        messages_send(
            purpose=PURPOSE,
            items=items,
            title=gettext("Nhắc nộp học phí"),
            link=settings.SITE_URL + school_reverse(school, "parent_fees"),
            reference=f"fee-reminder:{step}:{today.isoformat()}",
        )
    return len(items)


def _claim(step: str, invoice_ids: list[int]) -> list[int]:
    """Insert the Reminder rows this run may send; the ids it inserted (none already there)."""
    if not invoice_ids:
        return []
    rows = bulk_insert(
        Reminder,
        {
            "invoice_id": ("bigint", invoice_ids),
            "step": ("text", [step] * len(invoice_ids)),
            "sent_at": ("timestamptz", [timezone.now()] * len(invoice_ids)),
        },
        suffix="ON CONFLICT (invoice_id, step) DO NOTHING RETURNING invoice_id",
    )
    return [row[0] for row in rows]


def reminder_text(school: School, invoice: Invoice, step: str) -> str:
    values = {
        "school": school.name,
        "name": invoice.student.full_name,
        "code": invoice.code,
        "amount": format_vnd(invoice.outstanding),
        "date": f"{invoice.due_on:%d/%m/%Y}",
        "link": parent_invoice_url(school, invoice),
    }
    if step == Reminder.Step.OVERDUE:
        text = gettext(
            "%(school)s: học phí của %(name)s (hoá đơn %(code)s) còn %(amount)s, đã quá hạn nộp %(date)s. "
            "Kính mong phụ huynh nộp sớm bằng mã QR tại: %(link)s"
        )
    else:
        text = gettext(
            "%(school)s: học phí của %(name)s (hoá đơn %(code)s) còn %(amount)s, hạn nộp %(date)s. "
            "Phụ huynh nộp bằng mã QR tại: %(link)s"
        )
    return nfc(text % values)
