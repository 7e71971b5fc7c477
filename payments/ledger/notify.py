"""The confirmation a family gets when a payment is applied to their child's invoice (issue 14, item 5):
one message to each of the child's guardians who receive notifications, through the messaging pipeline
(purpose "fees"), e.g. "Trường X đã nhận 500.000 đ học phí (HD003RJ0T) của Nguyễn Văn An. Biên lai số
2026-000012." with the invoice's page as the link.

Sent by the worker (payments.tasks.payments_confirm) after the payment is committed, whether the ledger
matched the transfer itself or the accountant assigned it. Once per payment: the message's reference is
"payment:<id>", looked for under a lock on the payment, so a task delivered twice sends nothing the second
time. A payment reversed before the task ran is not announced."""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum
from django.utils.translation import gettext

from messaging.models import Message
from messaging.outbox.selectors import format_vnd, guardian_recipient
from messaging.outbox.services import messages_send
from payments.models import Invoice, Payment, Receipt
from students.selectors import notified_guardian_links
from tenants.models import School
from tenants.routing import school_reverse

PURPOSE = "fees"


def payment_confirmation_send(payment_id: int) -> int:
    """Tell the guardians about this payment, unless they have been told already; the number of messages."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("invoice__student")
            .filter(pk=payment_id, amount__gt=0)
            .first()
        )
        reference = f"payment:{payment_id}"
        if (
            payment is None
            or Payment.objects.filter(reverses=payment).exists()
            or Message.objects.filter(reference=reference).exists()
        ):
            return 0
        links = list(notified_guardian_links([payment.invoice.student_id]))
        if not links:
            return 0
        school = School.objects.get(schema_name=connection.schema_name)
        receipt = Receipt.objects.select_related("year").filter(payment=payment).first()
        messages = messages_send(
            purpose=PURPOSE,
            reference=reference,
            title=gettext("Nhà trường đã nhận tiền"),
            link=parent_invoice_url(school, payment.invoice),
            items=[
                (guardian_recipient(link.guardian), confirmation_text(school.name, payment, receipt))
                for link in links
            ],
        )
    return len(messages)


def confirmation_text(school_name: str, payment: Payment, receipt: Receipt | None) -> str:
    """The message, with what was left to pay right after this payment (not when the worker gets to it: a
    second transfer may have been matched in between)."""
    invoice = payment.invoice
    paid = invoice.payments.filter(pk__lte=payment.pk).aggregate(total=Sum("amount"))["total"] or 0
    values = {
        "school": school_name,
        "amount": format_vnd(payment.amount),
        "code": invoice.code,
        "name": invoice.student.full_name,
    }
    text = gettext("%(school)s đã nhận %(amount)s học phí (%(code)s) của %(name)s.") % values
    if receipt is not None:
        text += " " + gettext("Biên lai số %(number)s.") % {"number": receipt.label}
    if 0 < paid < invoice.total:
        text += " " + gettext("Còn phải nộp %(rest)s.") % {"rest": format_vnd(invoice.total - paid)}
    elif paid > invoice.total:
        text += " " + gettext("Số tiền nộp thừa %(extra)s, nhà trường sẽ liên hệ.") % {
            "extra": format_vnd(paid - invoice.total)
        }
    return text


def parent_invoice_url(school: School, invoice: Invoice) -> str:
    """The invoice's page for parents (payments.parent), as a link in a message."""
    return settings.SITE_URL + school_reverse(school, "parent_invoice", pk=invoice.pk)
