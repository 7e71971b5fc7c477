"""Committed fee data for the tests that need the live server or the Celery worker (they see only what is
committed): a class of its own in school A with children and their guardians, one item billed to that class
by a generated round, and the cleanup of all of it and of everything made meanwhile in school A's schema
(money that came in, payments, receipts, messages, audit events: rows above the ids seen at the start)."""

from dataclasses import dataclass, field
from uuid import uuid4

from django.db.models import Max
from django_tenants.utils import schema_context

from messaging.models import Delivery, Message
from payments.models import (
    BankTransaction,
    CollectionRound,
    FeeItem,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentProvider,
    Receipt,
    ReceivingAccount,
)
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, student_enrol

SCHEMA = "school_test_a"
# Deleted newest first in this order, each before what it points to (a reversal before what it reverses).
MADE_MEANWHILE = (Delivery, Message, Receipt, Payment, BankTransaction, AuditEvent)


@dataclass
class FeeClass:
    tag: str
    school_class: SchoolClass
    children: list[Student]
    guardians: list[Guardian]
    item: FeeItem
    round: CollectionRound
    invoices: list[Invoice]  # in the order of `children`
    account: ReceivingAccount
    own_account: bool  # made here (so removed here)
    marks: dict = field(default_factory=dict)


def fee_class_make(admin, families, amount) -> FeeClass:
    """In school A (committed by the caller): one child per (child's name, guardian's phone) of `families`
    in a new class, `amount` đồng billed to each, the invoices generated; the school's receiving account."""
    with schema_context(SCHEMA):
        marks = {model: model.objects.aggregate(top=Max("pk"))["top"] or 0 for model in MADE_MEANWHILE}
        tag = uuid4().hex[:6]
        school_class = SchoolClass.objects.create(
            name=f"6F-{tag}",
            grade=GradeLevel.objects.get(number=6),
            year=SchoolYear.objects.get(is_current=True),
        )
        children, guardians = [], []
        for number, (name, phone) in enumerate(families):
            child = student_enrol(f"F{tag}{number}", school_class, name)
            children.append(child)
            guardians.append(guardian_link(child, phone, full_name=f"Phụ huynh của {name}"))
        item = fee_item_make(f"Học phí {tag}", amount, classes=[school_class])
        creator = StaffMember.objects.get(user=admin)
        round_ = round_make(creator, [item], name=f"Đợt {tag}")
        round_invoice(admin, round_)
        account = ReceivingAccount.objects.first()
        own_account = account is None
        if own_account:
            account = ReceivingAccount.objects.create(
                bank_bin="970422", account_number="0071000123456", account_name="TRUONG THCS THU NGHIEM A"
            )
        invoices = [Invoice.objects.get(round=round_, student=child) for child in children]
        return FeeClass(
            tag, school_class, children, guardians, item, round_, invoices, account, own_account, marks
        )


def fee_class_remove(fees: FeeClass) -> None:
    with schema_context(SCHEMA):
        for model in MADE_MEANWHILE:
            rows = model.objects.filter(pk__gt=fees.marks[model])
            if model is Payment:
                rows.filter(reverses__isnull=False).delete()
            rows.delete()
        PaymentProvider.objects.filter(provider__in=("sepay", "casso")).delete()
        InvoiceLine.objects.filter(invoice__round=fees.round).delete()
        Invoice.objects.filter(round=fees.round).delete()
        fees.round.delete()
        fees.item.delete()
        Enrolment.objects.filter(student__in=fees.children).delete()
        Guardian.objects.filter(pk__in=[g.pk for g in fees.guardians]).delete()
        Student.objects.filter(pk__in=[c.pk for c in fees.children]).delete()
        fees.school_class.delete()
        if fees.own_account:
            fees.account.delete()
