"""One receipt (biên lai thu tiền) as the page and the PDF show it: the school, the receipt's label and date,
the student and their class in the invoice's school year, the invoice and its lines, the amount in figures and
in words, how the money came (bank transfer or VNPay) and whether the receipt was voided (its payment
reversed). Who may see it: the school's fee viewers and the student's guardians (`can_see_receipt`)."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from payments.models import BankTransaction, InvoiceLine, Receipt
from payments.permissions import can_view_fees
from payments.receipts.words import amount_in_words
from students.models import Enrolment, Student
from students.permissions import is_guardian_of


@dataclass(frozen=True)
class ReceiptSheet:
    pk: int
    school_name: str
    label: str
    issued_at: datetime  # local time
    student: Student
    class_name: str
    invoice_id: int
    invoice_code: str
    round_name: str
    lines: list[InvoiceLine]
    invoice_total: int
    amount: int
    amount_words: str
    source: str  # "Chuyển khoản" or "VNPay"
    reference: str  # the bank's or VNPay's own reference, when given
    voided_at: datetime | None

    @property
    def voided(self) -> bool:
        return self.voided_at is not None

    @property
    def partial(self) -> bool:
        return self.amount < self.invoice_total

    @property
    def filename(self) -> str:
        return f"bien-lai-{self.label}.pdf"


def receipt_sheet(pk: int, school_name: str) -> ReceiptSheet | None:
    receipt = (
        Receipt.objects.select_related(
            "year", "payment__transaction", "payment__invoice__round", "payment__invoice__student"
        )
        .filter(pk=pk)
        .first()
    )
    if receipt is None:
        return None
    payment, invoice = receipt.payment, receipt.payment.invoice
    class_name = (
        Enrolment.objects.filter(student_id=invoice.student_id, school_class__year_id=invoice.round.year_id)
        .order_by("-starts_on")
        .values_list("school_class__name", flat=True)
        .first()
    )
    row = payment.transaction
    source = "VNPay" if row.source == BankTransaction.Source.VNPAY else gettext("Chuyển khoản")
    return ReceiptSheet(
        pk=receipt.pk,
        school_name=school_name,
        label=receipt.label,
        issued_at=timezone.localtime(receipt.issued_at),
        student=invoice.student,
        class_name=class_name or "",
        invoice_id=invoice.pk,
        invoice_code=invoice.code,
        round_name=invoice.round.name,
        lines=list(invoice.lines.all()),
        invoice_total=invoice.total,
        amount=payment.amount,
        amount_words=amount_in_words(payment.amount),
        source=source,
        reference=row.reference,
        voided_at=timezone.localtime(receipt.voided_at) if receipt.voided_at else None,
    )


def can_see_receipt(request, sheet: ReceiptSheet) -> bool:
    """The school's fee viewers (accountant, school admin, principals) and the student's guardians."""
    if can_view_fees(getattr(request, "staff", None)):
        return True
    return is_guardian_of(getattr(request, "guardian", None), sheet.student)
