"""The ledger: money received (BankTransaction) and applied to invoices (Payment, Receipt).

Every source (bank webhooks, statement rows, VNPay's IPN) ends in `transaction_record`, which stores a
transaction once per (source, provider id) and, when it is new, matches it in the same database transaction:
a replay finds its row and changes nothing. Payments are only ever added; `payment_reverse` corrects one by
adding its opposite. Invoices touched are locked (SELECT … FOR UPDATE) so two transfers for one invoice at
the same moment both count. Every payment applied, matched or assigned, is announced to the child's
guardians once it is committed (payments.ledger.notify, from the worker).
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django_tenants.utils import schema_context

from payments import matching
from payments.codes import FAMILY, INVOICE, code_number, codes_in
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from schoolbook.audit.services import audit_record
from schoolbook.celery import app as celery_app
from students.models import SchoolYear, StudentGuardian

OPEN_STATES = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID)


class LedgerError(ValueError):
    """A correction the ledger refuses (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class Incoming:
    """A transaction as a source reports it, before it is stored."""

    source: str
    provider_id: str
    amount: int
    note: str
    occurred_at: datetime.datetime
    reference: str = ""
    counter_account: str = ""


def mask_account(number: str) -> str:
    """Only the last four digits of a bank account on screens and in the database ("••••6789")."""
    digits = "".join(c for c in number if c.isalnum())
    return f"••••{digits[-4:]}" if digits else ""


def transaction_record(incoming: Incoming) -> tuple[BankTransaction, bool]:
    """(the stored transaction, whether it is new). A new one is matched at once (`transaction_match`)."""
    with transaction.atomic():
        row, created = BankTransaction.objects.get_or_create(
            source=incoming.source,
            provider_id=incoming.provider_id,
            defaults={
                "amount": incoming.amount,
                "note": incoming.note[:500],
                "occurred_at": incoming.occurred_at,
                "reference": incoming.reference[:64],
                "counter_account": mask_account(incoming.counter_account),
                "unapplied": incoming.amount,
            },
        )
        if created:
            transaction_match(row)
    return row, created


def transaction_match(row: BankTransaction) -> matching.Allocation:
    """Apply a new transaction to the open invoices its note names (payments.matching); what no invoice
    takes stays `unapplied` and the transaction waits in the unmatched queue."""
    invoices = _named_open_invoices(row.note)
    allocation = matching.allocate(row.note, row.amount, [open_invoice(i) for i in invoices.values()])
    parts = dict(allocation.paid)  # one payment (and receipt) per invoice: the overpayment joins its part
    if allocation.overpaid:
        code, extra = allocation.overpaid
        parts[code] = parts.get(code, 0) + extra
    for code, amount in parts.items():
        payment_apply(invoice=invoices[code], row=row, amount=amount, actor=None)
    _settle(row)
    return allocation


def transaction_assign(*, actor, row: BankTransaction, invoice: Invoice, amount: int) -> Payment:
    """The accountant applies (part of) what is left of a transaction to an invoice they chose."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if refusal := assign_refusal(row):
            raise LedgerError(refusal)
        if invoice.state == InvoiceState.CANCELLED:
            raise LedgerError("Hoá đơn này đã huỷ.")
        if not 0 < amount <= row.unapplied:
            raise LedgerError(f"Số tiền phải từ 1 đến {row.unapplied} đồng (phần còn lại của giao dịch).")
        payment = payment_apply(invoice=invoice, row=row, amount=amount, actor=actor)
        _settle(row)
        audit_record(
            actor=actor, action="payments.assign", obj=payment,
            after={"transaction": row.pk, "invoice": invoice.code, "amount": amount},
        )  # fmt: skip
    return payment


def transaction_refund(*, actor, row: BankTransaction, note: str) -> BankTransaction:
    """Mark what is left of a transaction as refunded to the payer (the refund itself is made in the bank)."""
    with transaction.atomic():
        row = BankTransaction.objects.select_for_update().get(pk=row.pk)
        if refusal := refund_refusal(row):
            raise LedgerError(refusal)
        row.status = BankTransaction.Status.REFUNDED
        row.refund_note = note[:300]
        row.save(update_fields=["status", "refund_note"])
        audit_record(
            actor=actor, action="payments.refund", obj=row,
            after={"amount": row.unapplied, "note": row.refund_note},
        )  # fmt: skip
    return row


def assign_refusal(row: BankTransaction) -> str:
    """Why nothing of `row` can be assigned any more ("" if something can): what transaction_assign checks
    first, for pages to say before asking for a confirmation."""
    if row.status == BankTransaction.Status.REFUNDED:
        return "Giao dịch này đã được đánh dấu hoàn tiền."
    if row.unapplied <= 0:
        return "Giao dịch này không còn tiền chưa khớp để gán."
    return ""


def refund_refusal(row: BankTransaction) -> str:
    """Why `row` cannot be marked refunded ("" if it can)."""
    if row.unapplied <= 0 or row.status == BankTransaction.Status.REFUNDED:
        return "Giao dịch này không còn tiền chưa khớp để hoàn."
    return ""


def reverse_refusal(payment: Payment) -> str:
    """Why `payment` cannot be reversed ("" if it can): a reversal, or one reversed already."""
    if payment.amount <= 0 or Payment.objects.filter(reverses=payment).exists():
        return "Khoản thanh toán này đã được điều chỉnh trước đó."
    return ""


def payment_apply(*, invoice: Invoice, row: BankTransaction, amount: int, actor) -> Payment:
    """Add a payment and its receipt; the caller holds the transaction and invoice in its db transaction."""
    payment = Payment.objects.create(invoice=invoice, transaction=row, amount=amount, created_by=actor)
    Invoice.objects.filter(pk=invoice.pk).update(paid=F("paid") + amount)
    invoice.refresh_from_db(fields=["paid", "total", "state"])
    _restate(invoice)
    receipt_issue(payment, invoice)
    _confirm_on_commit(payment.pk)
    return payment


def _confirm_on_commit(payment_id: int) -> None:
    """The guardians' confirmation leaves from the worker once the payment is committed, so a webhook never
    waits for messaging. By name: payments.tasks imports the ledger. The schema is pinned to the caller's,
    in case the commit happens after the caller has left its school's schema."""
    schema = connection.schema_name

    def send():
        with schema_context(schema):
            celery_app.send_task("payments.tasks.payment_confirm", args=[payment_id], ignore_result=True)

    transaction.on_commit(send)


def payment_reverse(*, actor, payment: Payment, reason: str) -> Payment:
    """The one correction: a payment with the opposite amount; the money goes back to the transaction's
    unapplied part (the queue), the original receipt is voided. A payment is reversed at most once."""
    if not reason.strip():
        raise LedgerError("Hãy ghi lý do điều chỉnh.")
    with transaction.atomic():
        original = Payment.objects.select_for_update().get(pk=payment.pk)
        if refusal := reverse_refusal(original):
            raise LedgerError(refusal)
        invoice = Invoice.objects.select_for_update().get(pk=original.invoice_id)
        row = BankTransaction.objects.select_for_update().get(pk=original.transaction_id)
        reversal = Payment.objects.create(
            invoice=invoice, transaction=row, amount=-original.amount, reverses=original,
            created_by=actor, note=reason[:300],
        )  # fmt: skip
        Invoice.objects.filter(pk=invoice.pk).update(paid=F("paid") - original.amount)
        invoice.refresh_from_db(fields=["paid", "total", "state"])
        _restate(invoice)
        Receipt.objects.filter(payment=original).update(voided_at=timezone.now())
        _settle(row)
        audit_record(
            actor=actor, action="payments.reverse", obj=reversal,
            before={"payment": original.pk, "invoice": invoice.code, "amount": original.amount},
            after={"reason": reversal.note},
        )  # fmt: skip
    return reversal


def receipt_issue(payment: Payment, invoice: Invoice) -> Receipt:
    """The next number of the invoice's school year. The year row is locked for the count, so numbers have
    no gaps and no duplicates however many payments arrive at once."""
    year = SchoolYear.objects.select_for_update().get(pk=invoice.round.year_id)
    last = Receipt.objects.filter(year=year).order_by("-number").values_list("number", flat=True).first()
    return Receipt.objects.create(payment=payment, year=year, number=(last or 0) + 1)


def state_for(total: int, paid: int) -> str:
    if paid <= 0:
        return InvoiceState.OPEN
    if paid < total:
        return InvoiceState.PARTLY_PAID
    return InvoiceState.PAID if paid == total else InvoiceState.OVERPAID


def open_invoice(invoice: Invoice) -> matching.OpenInvoice:
    family = getattr(invoice, "family_code", "")
    return matching.OpenInvoice(
        code=invoice.code, outstanding=invoice.outstanding, due=invoice.due_on.isoformat(), family=family
    )


def _restate(invoice: Invoice) -> None:
    if invoice.state == InvoiceState.CANCELLED:
        return
    state = state_for(invoice.total, invoice.paid)
    if state != invoice.state:
        invoice.state = state
        invoice.save(update_fields=["state", "updated_at"])


def _settle(row: BankTransaction) -> None:
    applied = row.payments.aggregate(total=Sum("amount"))["total"] or 0
    row.unapplied = row.amount - applied
    if row.status != BankTransaction.Status.REFUNDED:
        row.status = BankTransaction.Status.UNMATCHED if row.unapplied else BankTransaction.Status.MATCHED
    row.save(update_fields=["unapplied", "status"])


def _named_open_invoices(note: str) -> dict[str, Invoice]:
    """The open invoices a note's codes name, locked, by code; a family code brings the open invoices of
    every child of that guardian, each marked with the family code."""
    invoice_ids, families = [], {}
    for code in codes_in(note):
        kind, number = code_number(code)  # codes_in returns valid codes only
        if kind == INVOICE:
            invoice_ids.append(number)
        elif kind == FAMILY:
            families[number] = code
    found = {}
    locked = Invoice.objects.select_for_update().filter(state__in=OPEN_STATES).select_related("round")
    for invoice in locked.filter(pk__in=invoice_ids):
        found[invoice.code] = invoice
    if families:
        links = StudentGuardian.objects.filter(guardian_id__in=families).values_list(
            "student_id", "guardian_id"
        )
        family_of = {student: families[guardian] for student, guardian in links}
        for invoice in locked.filter(student_id__in=family_of):
            invoice = found.setdefault(invoice.code, invoice)
            invoice.family_code = family_of[invoice.student_id]
    return found
