"""What the exports read: the ledger's payments of a period (a reversal is its own, negative, record in the
period it was made) and the invoices of a round or of a period of due dates, each with the class the
invoice was billed in (Invoice.school_class, as the fees dashboard counts). Read in chunks, so a year of a
large school streams."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from payments.models import BankTransaction, CollectionRound, Invoice, InvoiceLine, InvoiceState, Payment

CHUNK = 2000


@dataclass(frozen=True)
class PaymentRecord:
    payment_id: int
    recorded_at: datetime.datetime  # local time
    receipt: str  # its receipt's number; a reversal: the number of the receipt it voids
    invoice_code: str
    round: str
    grade: int | None
    school_class: str
    student_code: str
    student_sector_id: str  # the sector database's identifier (students.sector_ids); "" until known
    student_name: str
    amount: int  # negative for a reversal
    source: str  # BankTransaction.Source value
    received_at: datetime.datetime  # local time the money reached the account
    reverses: int | None  # the payment a reversal corrects
    note: str  # a reversal's reason
    items: list[tuple[str, int]]  # the invoice's lines: (description, đồng)

    @property
    def source_label(self) -> str:
        return str(BankTransaction.Source(self.source).label)


@dataclass(frozen=True)
class InvoiceRecord:
    code: str
    round: str
    due_on: datetime.date
    grade: int | None
    school_class: str
    student_code: str
    student_sector_id: str
    student_name: str
    items: list[tuple[str, int]]
    total: int
    paid: int
    outstanding: int
    state: str
    overdue: bool

    @property
    def state_label(self) -> str:
        return str(InvoiceState(self.state).label)


def payment_records(start: datetime.date, end: datetime.date) -> Iterator[PaymentRecord]:
    """Every payment and reversal recorded from `start` to `end` (local days), in the order made."""
    payments = (
        Payment.objects.filter(created_at__date__range=(start, end))
        .select_related(
            "invoice__student", "invoice__round", "transaction", "receipt__year", "reverses__receipt__year"
        )
        .annotate(
            class_name=F("invoice__school_class__name"), grade=F("invoice__school_class__grade__number")
        )
        .order_by("created_at", "pk")
    )
    for chunk in _chunks(payments.iterator(chunk_size=CHUNK)):
        items = _items({payment.invoice_id for payment in chunk})
        for payment in chunk:
            invoice, student = payment.invoice, payment.invoice.student
            receipt = _receipt(payment.reverses or payment)
            yield PaymentRecord(
                payment_id=payment.pk,
                recorded_at=timezone.localtime(payment.created_at),
                receipt=receipt,
                invoice_code=invoice.code,
                round=invoice.round.name,
                grade=payment.grade,
                school_class=payment.class_name or "",
                student_code=student.student_code,
                student_sector_id=student.sector_id,
                student_name=student.full_name,
                amount=payment.amount,
                source=payment.transaction.source,
                received_at=timezone.localtime(payment.transaction.occurred_at),
                reverses=payment.reverses_id,
                note=payment.note,
                items=items.get(invoice.pk, []),
            )


def invoice_records(*, round_: CollectionRound | None = None, due: tuple | None = None):
    """The invoices of a round, or those due in (start, end), by class and student."""
    invoices = Invoice.objects.select_related("student", "round").annotate(
        class_name=F("school_class__name"), grade=F("school_class__grade__number")
    )
    invoices = invoices.filter(round=round_) if round_ is not None else invoices.filter(due_on__range=due)
    invoices = invoices.order_by(
        F("grade").asc(nulls_last=True), Length("class_name"), "class_name", "student__sort_key",
        "student__student_code", "round__due_on", "pk",
    )  # fmt: skip
    for chunk in _chunks(invoices.iterator(chunk_size=CHUNK)):
        items = _items({invoice.pk for invoice in chunk})
        for invoice in chunk:
            yield InvoiceRecord(
                code=invoice.code,
                round=invoice.round.name,
                due_on=invoice.due_on,
                grade=invoice.grade,
                school_class=invoice.class_name or "",
                student_code=invoice.student.student_code,
                student_sector_id=invoice.student.sector_id,
                student_name=invoice.student.full_name,
                items=items.get(invoice.pk, []),
                total=invoice.total,
                paid=invoice.paid,
                outstanding=invoice.outstanding,
                state=invoice.state,
                overdue=invoice.is_overdue,
            )


def rounds():
    """Every collection round, the newest due first, for the export page's choice."""
    return CollectionRound.objects.select_related("year").order_by("-due_on", "-pk")


def _receipt(payment: Payment) -> str:
    receipt = getattr(payment, "receipt", None)
    return receipt.label if receipt is not None else ""


def _items(invoice_ids) -> dict[int, list[tuple[str, int]]]:
    items: dict[int, list[tuple[str, int]]] = {}
    lines = InvoiceLine.objects.filter(invoice_id__in=invoice_ids).order_by("invoice_id", "pk")
    for invoice_id, description, amount in lines.values_list("invoice_id", "description", "amount"):
        items.setdefault(invoice_id, []).append((description, amount))
    return items


def _chunks(rows) -> Iterator[list]:
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
