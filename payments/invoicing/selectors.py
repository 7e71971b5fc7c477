"""Reads of rounds and invoices for the fee pages: counts and sums in the database, never per row."""

from django.db.models import Count, Q, Sum
from django.utils import timezone

from payments.models import CollectionRound, Invoice, InvoiceState, ReceivingAccount
from schoolbook.text import search_fold

OPEN_STATES = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID)


def receiving_account() -> ReceivingAccount | None:
    return ReceivingAccount.objects.order_by("pk").first()


def rounds(year):
    live = ~Q(invoices__state=InvoiceState.CANCELLED)
    return CollectionRound.objects.filter(year=year).annotate(
        invoice_count=Count("invoices", filter=live),
        paid_count=Count(
            "invoices", filter=Q(invoices__state__in=(InvoiceState.PAID, InvoiceState.OVERPAID))
        ),
        due_total=Sum("invoices__total", filter=live),
        paid_total=Sum("invoices__paid", filter=live),
    )


def round_invoices(round_: CollectionRound, *, state: str = "", query: str = ""):
    invoices = Invoice.objects.filter(round=round_).select_related("student")
    if state == "overdue":
        invoices = invoices.filter(state__in=OPEN_STATES, due_on__lt=timezone.localdate())
    elif state:
        invoices = invoices.filter(state=state)
    if query:
        folded = search_fold(query)
        invoices = invoices.filter(
            Q(code__iexact=query.strip())
            | Q(student__full_name_folded__contains=folded)
            | Q(student__student_code__iexact=query.strip())
        )
    return invoices.order_by("student__sort_key", "pk")


def invoice_detail(pk: int) -> Invoice:
    return (
        Invoice.objects.select_related("round", "student")
        .prefetch_related("lines", "payments__receipt", "payments__transaction")
        .get(pk=pk)
    )
