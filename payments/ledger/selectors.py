"""The accountant's reads of the money that came in, in the current school's schema: a day's transactions,
the unmatched queue, one transaction with its payments, and the invoices a transaction could be assigned to
(found by code or by the student's name)."""

import datetime

from django.db.models import Case, Count, Exists, OuterRef, QuerySet, Sum, Value, When
from django.utils import timezone

from payments.codes import INVOICE, code_number, codes_in
from payments.models import BankTransaction, Invoice, InvoiceState, Payment
from schoolbook.text import search_fold

SEARCH_LIMIT = 20
Status = BankTransaction.Status


def transactions_on(day: datetime.date, status: str = "") -> QuerySet:
    """The transactions that occurred on `day` (school time), newest first, of one status if given."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    rows = BankTransaction.objects.filter(
        occurred_at__gte=start, occurred_at__lt=start + datetime.timedelta(days=1)
    )
    return (rows.filter(status=status) if status else rows).order_by("-occurred_at", "-pk")


def transactions_total(rows: QuerySet) -> dict:
    """How many transactions and how much money a list holds, in one query."""
    return rows.aggregate(count=Count("pk"), amount=Sum("amount"), unapplied=Sum("unapplied"))


def unmatched_queue() -> QuerySet:
    """What waits for the accountant: money no invoice took and not refunded, oldest first."""
    return BankTransaction.objects.filter(status=Status.UNMATCHED, unapplied__gt=0).order_by(
        "occurred_at", "pk"
    )


def unmatched_count() -> int:
    return unmatched_queue().count()


def transaction_payments(row: BankTransaction) -> list[Payment]:
    """The payments made from a transaction, in order, each with its invoice, student and receipt, and
    `is_reversed` (a reversal names it)."""
    reversed_ = Payment.objects.filter(reverses=OuterRef("pk"))
    return list(
        row.payments.select_related("invoice__student", "receipt__year", "created_by")
        .annotate(is_reversed=Exists(reversed_))
        .order_by("created_at", "pk")
    )


def invoices_search(query: str) -> list[Invoice]:
    """Invoices (not cancelled) whose code the query carries, or whose student's name contains it
    (accents and case ignored); those still owing first."""
    invoices = Invoice.objects.exclude(state=InvoiceState.CANCELLED).select_related("student", "round")
    numbers = [code_number(code)[1] for code in codes_in(query) if code.startswith(INVOICE)]
    folded = search_fold(query)
    if numbers:
        invoices = invoices.filter(pk__in=numbers)
    elif len(folded) >= 2:
        invoices = invoices.filter(student__full_name_folded__contains=folded)
    else:
        return []
    owing = Case(
        When(state__in=(InvoiceState.OPEN, InvoiceState.PARTLY_PAID), then=Value(0)), default=Value(1)
    )
    return list(invoices.order_by(owing, "student__sort_key", "-due_on", "pk")[:SEARCH_LIMIT])
