"""What a collection round should bill, and how that differs from what it has billed: the preview the
accountant confirms before invoices are created or changed (payments.invoicing.services applies it).

The plan is computed from the catalogue in a handful of queries whatever the number of students: the round's
items with their scopes, the students enrolled in the round's year, approved reductions and opt-ins of those
items, and the invoices the round already has with their lines.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from payments.models import (
    CollectionRound,
    FeeItem,
    FeeOptIn,
    FeeReduction,
    Invoice,
    InvoiceLine,
    InvoiceState,
    Unit,
)
from schoolbook.confirm import confirmation_token
from students.models import Enrolment, StudentStatus

# (item id, description, quantity, unit amount, reduction, amount): a line as the plan and the database see it
Line = tuple[int, str, int, int, int, int]


@dataclass
class StudentBill:
    student_id: int
    student_name: str
    class_id: int
    class_name: str
    lines: list[Line]

    @property
    def total(self) -> int:
        return sum(line[5] for line in self.lines)


@dataclass
class Plan:
    """The difference between the round's invoices and the catalogue: `new` bills to create, `changed`
    (invoice, bill) pairs to rewrite, `cancel` unpaid invoices no longer owed, `stuck` invoices no longer owed
    but with payments (left for the accountant), `unchanged` a count."""

    round: CollectionRound
    new: list[StudentBill] = field(default_factory=list)
    changed: list[tuple[Invoice, StudentBill]] = field(default_factory=list)
    cancel: list[Invoice] = field(default_factory=list)
    stuck: list[Invoice] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.new or self.changed or self.cancel)

    @property
    def token(self) -> str:
        """The fingerprint of exactly what this preview shows (schoolbook.confirm)."""
        return confirmation_token(
            self.round.pk,
            [(bill.student_id, bill.lines) for bill in self.new],
            [(invoice.pk, bill.lines) for invoice, bill in self.changed],
            [invoice.pk for invoice in self.cancel],
        )

    @property
    def new_total(self) -> int:
        return sum(bill.total for bill in self.new)


def line_for(item: FeeItem, *, months: int, reduction: FeeReduction | None) -> Line:
    quantity = months if item.unit == Unit.MONTH else 1
    gross = item.amount * quantity
    off = 0
    if reduction is not None:
        if reduction.kind == FeeReduction.Kind.PERCENT:
            off = (gross * min(reduction.value, 100) + 50) // 100  # whole đồng, half up
        else:
            off = min(reduction.value * quantity, gross)
    return (item.pk, item.name, quantity, item.amount, off, gross - off)


Scope = tuple[set[int], set[int], set[int]]  # an item's grade, class and student ids


def item_scope(item: FeeItem) -> Scope:
    """Whom an item applies to; read from prefetched grades, classes and students."""
    return (
        {g.pk for g in item.grades.all()},
        {c.pk for c in item.classes.all()},
        {s.pk for s in item.students.all()},
    )


def in_scope(scope: Scope, school_class, student_id: int) -> bool:
    """An item with no scope is for the whole school; otherwise for the union of its grades, classes and
    students. `school_class` is the student's class (None: in no class, reached only by name)."""
    grades, classes, students = scope
    if not (grades or classes or students):
        return True
    if student_id in students:
        return True
    return school_class is not None and (school_class.grade_id in grades or school_class.pk in classes)


def round_plan(round_: CollectionRound) -> Plan:
    items = list(
        round_.items.filter(archived_at__isnull=True).prefetch_related("grades", "classes", "students")
    )
    item_ids = [item.pk for item in items]
    enrolments = (
        Enrolment.objects.filter(school_class__year_id=round_.year_id, student__status=StudentStatus.STUDYING)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate()))
        .select_related("student", "school_class")
        .order_by("school_class__name", "student__sort_key")
    )
    reductions = {
        (r.item_id, r.student_id): r
        for r in FeeReduction.objects.filter(item_id__in=item_ids, status=FeeReduction.Status.APPROVED)
    }
    opted = set(FeeOptIn.objects.filter(item_id__in=item_ids).values_list("item_id", "student_id"))
    scopes = {item.pk: item_scope(item) for item in items}
    bills, billed = {}, set()
    for enrolment in enrolments:
        student, school_class = enrolment.student, enrolment.school_class
        if student.pk in billed:  # two open enrolments: the first class (by name) bills
            continue
        billed.add(student.pk)
        lines = []
        for item in items:
            if not in_scope(scopes[item.pk], school_class, student.pk):
                continue
            if not item.compulsory and (item.pk, student.pk) not in opted:
                continue
            lines.append(
                line_for(item, months=round_.months, reduction=reductions.get((item.pk, student.pk)))
            )
        if lines:
            bills[student.pk] = StudentBill(
                student.pk, student.full_name, school_class.pk, school_class.name, lines
            )
    plan = Plan(round=round_)
    # What is billed already, as plain tuples (thousands of rows: no model instances but for the few shown).
    live = Invoice.objects.filter(round=round_).exclude(state=InvoiceState.CANCELLED)
    have = defaultdict(list)
    for invoice_id, *line in (
        InvoiceLine.objects.filter(invoice__in=live)
        .order_by("pk")
        .values_list("invoice_id", "item_id", "description", "quantity", "unit_amount", "reduction", "amount")
    ):
        have[invoice_id].append(tuple(line))
    changed, cancel, stuck = {}, [], []
    for invoice_id, student_id, paid in live.values_list("pk", "student_id", "paid"):
        bill = bills.pop(student_id, None)
        if bill is None:
            (stuck if paid else cancel).append(invoice_id)
        elif sorted(have[invoice_id]) == sorted(bill.lines):
            plan.unchanged += 1
        else:
            changed[invoice_id] = bill
    shown = Invoice.objects.filter(pk__in=[*changed, *cancel, *stuck]).select_related("student").in_bulk()
    plan.changed = [(shown[pk], bill) for pk, bill in changed.items()]
    plan.cancel = [shown[pk] for pk in cancel]
    plan.stuck = [shown[pk] for pk in stuck]
    cancelled = set(
        Invoice.objects.filter(round=round_, state=InvoiceState.CANCELLED).values_list(
            "student_id", flat=True
        )
    )
    plan.new = [bill for student_id, bill in bills.items() if student_id not in cancelled]
    return plan


def student_ids_by_class(plan: Plan) -> dict[str, int]:
    """How many new invoices each class gets: the preview's summary table."""
    counts = defaultdict(int)
    for bill in plan.new:
        counts[bill.class_name] += 1
    return dict(sorted(counts.items()))
