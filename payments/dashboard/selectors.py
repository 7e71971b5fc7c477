"""The accountant's figures for the current year: what is due and collected, per class and per item, today's
transactions, the unmatched queue and the overdue list. Sums are done by the database; only the split of a
partly paid invoice among its lines (in line order) is done here, over the lines of such invoices only."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from payments.models import BankTransaction, Invoice, InvoiceLine, InvoiceState

LIVE = ~Q(state=InvoiceState.CANCELLED)
OPEN_STATES = (InvoiceState.OPEN, InvoiceState.PARTLY_PAID)


@dataclass
class Row:
    name: str
    due: int
    collected: int

    @property
    def rate(self) -> int:
        return round(100 * min(self.collected, self.due) / self.due) if self.due else 0


def fee_figures(year) -> dict:
    invoices = Invoice.objects.filter(LIVE, round__year=year)
    totals = invoices.aggregate(
        due=Sum("total"),
        collected=Sum("paid"),
        count=Count("pk"),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=Q(state__in=OPEN_STATES, due_on__lt=timezone.localdate())),
    )
    today = timezone.localdate()
    transactions = BankTransaction.objects.filter(occurred_at__date=today)
    unmatched = BankTransaction.objects.filter(status=BankTransaction.Status.UNMATCHED, unapplied__gt=0)
    return {
        "due": totals["due"] or 0,
        "collected": totals["collected"] or 0,
        "rate": Row("", totals["due"] or 0, totals["collected"] or 0).rate,
        "invoice_count": totals["count"],
        "open_count": totals["open"],
        "overdue_count": totals["overdue"],
        "today": transactions.aggregate(count=Count("pk"), amount=Sum("amount")),
        "today_list": list(transactions.order_by("-occurred_at")[:10]),
        "unmatched": unmatched.aggregate(count=Count("pk"), amount=Sum("unapplied")),
    }


def by_class(year) -> list[Row]:
    rows = (
        Invoice.objects.filter(LIVE, round__year=year)
        .values("school_class__name")
        .annotate(due=Sum("total"), collected=Sum("paid"))
        .order_by("school_class__name")
    )
    return [Row(row["school_class__name"] or "—", row["due"] or 0, row["collected"] or 0) for row in rows]


def by_item(year) -> list[Row]:
    """Due per item from the lines; collected per item: lines of fully paid invoices in full, and a partly
    paid invoice's money spread over its lines in order (what the receipt lists first is paid first)."""
    lines = InvoiceLine.objects.filter(invoice__round__year=year).exclude(
        invoice__state=InvoiceState.CANCELLED
    )
    due = dict(lines.values("item__name").annotate(total=Sum("amount")).values_list("item__name", "total"))
    collected = defaultdict(int)
    for name, amount in lines.filter(invoice__paid__gte=F("invoice__total")).values_list(
        "item__name", "amount"
    ):
        collected[name] += amount
    partly = lines.filter(invoice__paid__gt=0, invoice__paid__lt=F("invoice__total")).order_by(
        "invoice_id", "pk"
    )
    left = {}
    for invoice_id, paid, name, amount in partly.values_list(
        "invoice_id", "invoice__paid", "item__name", "amount"
    ):
        rest = left.setdefault(invoice_id, paid)
        part = min(rest, amount)
        collected[name] += part
        left[invoice_id] = rest - part
    return [Row(name, total or 0, collected[name]) for name, total in sorted(due.items())]


def overdue_invoices(year, limit: int = 20):
    return (
        Invoice.objects.filter(round__year=year, state__in=OPEN_STATES, due_on__lt=timezone.localdate())
        .select_related("student", "school_class")
        .order_by("due_on", "student__sort_key")[:limit]
    )
