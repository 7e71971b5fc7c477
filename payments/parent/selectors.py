"""What a guardian sees of their children's fees in one school: per child the open and past invoices with
their lines (reductions on the lines), payments and receipts, what is owed, paid and exempted, and the
voluntary items of the current year they may choose; the VietQR transfers for one invoice or for all of the
family's open invoices. Every read is scoped to the guardian: an invoice of someone else's child is None.

The fees page costs a fixed number of queries whatever the number of children and invoices (children,
invoices, lines, payments with receipts, voluntary items with their scopes, opt-ins, invoiced items), and the
parent home gets each child's debt in the query that lists the children (`with_fee_summary`)."""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Exists, F, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from payments.invoicing.plan import in_scope, item_scope
from payments.invoicing.qr import family_transfer, transfer_details
from payments.ledger.services import OPEN_STATES
from payments.models import (
    FeeItem,
    FeeOptIn,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Payment,
    ReceivingAccount,
    Unit,
)
from students.models import Guardian, SchoolClass, Student, StudentGuardian
from students.selectors import children_here


@dataclass
class Option:
    """A voluntary item of the current year that applies to the child: chosen or not, and whether it is
    already on one of the child's invoices (then only the school can take it off)."""

    item: FeeItem
    chosen: bool
    invoiced: bool

    @property
    def per_unit(self) -> bool:
        return self.item.unit != Unit.ONCE


@dataclass
class ChildFees:
    student: Student  # with current_class_name
    open: list[Invoice] = field(default_factory=list)  # something still owed, the earliest due first
    past: list[Invoice] = field(
        default_factory=list
    )  # paid, overpaid, cancelled or owing 0, the latest first
    options: list[Option] = field(default_factory=list)

    @property
    def owed(self) -> int:
        return sum(invoice.outstanding for invoice in self.open)

    @property
    def paid(self) -> int:
        return sum(
            invoice.paid for invoice in self.open + self.past if invoice.state != InvoiceState.CANCELLED
        )

    @property
    def exempted(self) -> int:
        """Đồng taken off by approved exemptions and reductions, on invoices still standing."""
        return sum(
            line.reduction
            for invoice in self.open + self.past
            if invoice.state != InvoiceState.CANCELLED
            for line in invoice.lines.all()
        )

    @property
    def next_due(self) -> date | None:
        return min((invoice.due_on for invoice in self.open), default=None)

    @property
    def overdue(self) -> bool:
        return any(invoice.is_overdue for invoice in self.open)


def children_fees(guardian: Guardian) -> list[ChildFees]:
    """The guardian's children in this school (by name) with their invoices and voluntary items."""
    children = {student.pk: ChildFees(student) for student in children_here(guardian)}
    if not children:
        return []
    invoices = _invoices().filter(student_id__in=children).order_by("due_on", "pk")
    for invoice in invoices:
        child = children[invoice.student_id]
        invoice.student = child.student  # the family QR lists them by name: no query per invoice
        owing = invoice.state in OPEN_STATES and invoice.outstanding > 0  # a fully exempted one owes nothing
        (child.open if owing else child.past).append(invoice)
    for child in children.values():
        child.past.reverse()
    _options(children)
    return list(children.values())


def guardian_invoice(guardian: Guardian | None, pk: int) -> Invoice | None:
    """The invoice `pk` if it is one of this guardian's children's, with lines, receipts and the round."""
    if guardian is None:
        return None
    linked = StudentGuardian.objects.filter(guardian=guardian).values("student_id")
    return _invoices().filter(pk=pk, student_id__in=linked).select_related("student").first()


def family_payment(children: list[ChildFees], guardian: Guardian, account: ReceivingAccount | None):
    """One transfer for all the open invoices of the guardian's children (the family code), offered when
    there are two or more; None otherwise. Returns (details, the invoices it pays)."""
    invoices = [invoice for child in children for invoice in child.open]
    if account is None or len(invoices) < 2:
        return None
    amount = sum(invoice.outstanding for invoice in invoices)
    return transfer_details(family_transfer(guardian.pk, amount, account), account), invoices


def with_fee_summary(students):
    """For the parent home, in the query that lists the children: `fee_owed` (đồng still owed on open
    invoices), `fee_next_due` (the earliest due date among those) and `fee_invoiced` (whether the child has
    any invoice that is not cancelled)."""
    invoices = Invoice.objects.filter(student=OuterRef("pk"))
    owing = invoices.filter(state__in=OPEN_STATES, total__gt=F("paid"))
    owed = owing.order_by().values("student").annotate(owed=Sum(F("total") - F("paid"))).values("owed")
    return students.annotate(
        fee_owed=Coalesce(Subquery(owed), 0),
        fee_next_due=Subquery(owing.order_by("due_on").values("due_on")[:1]),
        fee_invoiced=Exists(invoices.exclude(state=InvoiceState.CANCELLED)),
    )


def _invoices():
    receipts = Payment.objects.filter(receipt__isnull=False).select_related("receipt__year", "transaction")
    return Invoice.objects.select_related("round").prefetch_related(
        "lines", Prefetch("payments", queryset=receipts, to_attr="receipted")
    )


def _options(children: dict[int, ChildFees]) -> None:
    """The current year's voluntary items that apply to each child (by the child's current class, as the
    invoices will), with whether the child has them chosen and already invoiced."""
    items = list(
        FeeItem.objects.filter(year__is_current=True, compulsory=False, archived_at__isnull=True)
        .prefetch_related("grades", "classes", "students")
        .order_by("name", "pk")
    )
    if not items:
        return
    class_ids = {child.student.current_class_id for child in children.values()} - {None}
    classes = {c.pk: c for c in SchoolClass.objects.filter(pk__in=class_ids).only("pk", "grade_id")}
    chosen = set(
        FeeOptIn.objects.filter(item__in=items, student_id__in=children).values_list("item_id", "student_id")
    )
    invoiced = set(
        InvoiceLine.objects.filter(item__in=items, invoice__student_id__in=children)
        .exclude(invoice__state=InvoiceState.CANCELLED)
        .values_list("item_id", "invoice__student_id")
    )
    scopes = {item.pk: item_scope(item) for item in items}
    for student_id, child in children.items():
        school_class = classes.get(child.student.current_class_id)
        child.options = [
            Option(item, (item.pk, student_id) in chosen, (item.pk, student_id) in invoiced)
            for item in items
            if in_scope(scopes[item.pk], school_class, student_id)
        ]


def child_option(guardian: Guardian | None, student_pk: int, item_pk: int) -> tuple[Student, Option] | None:
    """One of the guardian's children and one voluntary item that applies to them, or None."""
    if guardian is None:
        return None
    student = children_here(guardian).filter(pk=student_pk).first()
    if student is None:
        return None
    child = ChildFees(student)
    _options({student.pk: child})
    return next(((student, option) for option in child.options if option.item.pk == item_pk), None)
