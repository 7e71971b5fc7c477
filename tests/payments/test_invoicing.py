"""Generating a round's invoices: scopes, voluntary items, reductions, idempotence, the preview's diff."""

import pytest
from django.utils import timezone

from accounts.roles import Role
from payments.codes import code_number
from payments.invoicing.plan import round_plan
from payments.invoicing.services import PlanChanged, round_generate
from payments.models import FeeOptIn, FeeReduction, Invoice, InvoiceState
from students.models import SchoolClass, StudentStatus
from tests.factories import fee_item_make, round_invoice, round_make, staff_make, student_enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(school):
    a1, a2 = SchoolClass.objects.get(name="6A1"), SchoolClass.objects.get(name="6A2")
    accountant = staff_make(school, "0911000001", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    an = student_enrol("HP-1", a1, "Nguyễn Văn An")
    binh = student_enrol("HP-2", a2, "Lê Thị Bình")
    meals = fee_item_make("Tiền ăn bán trú", 600_000)
    club = fee_item_make("CLB Tiếng Anh", 250_000, compulsory=False)
    books = fee_item_make("Sách giáo khoa", 180_000, unit="year", classes=[a1])
    return accountant, an, binh, meals, club, books


def lines_of(invoice):
    return [(line.description, line.quantity, line.amount) for line in invoice.lines.all()]


def test_scopes_voluntary_items_and_months(fees):
    accountant, an, binh, meals, club, books = fees
    FeeOptIn.objects.create(item=club, student=binh, chosen_by=accountant.user)
    plan = round_invoice(accountant, round_make(accountant, [meals, club, books], months=2))
    assert len(plan.new) == 2
    an_invoice = Invoice.objects.get(student=an)
    assert lines_of(an_invoice) == [("Sách giáo khoa", 1, 180_000), ("Tiền ăn bán trú", 2, 1_200_000)]
    assert an_invoice.total == 1_380_000 and an_invoice.state == InvoiceState.OPEN
    assert lines_of(Invoice.objects.get(student=binh)) == [
        ("CLB Tiếng Anh", 2, 500_000),
        ("Tiền ăn bán trú", 2, 1_200_000),
    ]
    assert code_number(an_invoice.code) == ("HD", an_invoice.pk)


def test_regenerating_changes_nothing_and_a_change_is_previewed_first(fees):
    accountant, an, binh, meals, _club, books = fees
    round_ = round_make(accountant, [meals, books])
    round_invoice(accountant, round_)
    before = {i.pk: (i.total, i.updated_at) for i in Invoice.objects.filter(round=round_)}
    again = round_plan(round_)
    assert again.is_empty and again.unchanged == 2
    round_invoice(accountant, round_)
    assert {i.pk: (i.total, i.updated_at) for i in Invoice.objects.filter(round=round_)} == before

    stale = round_plan(round_)
    meals.amount = 650_000
    meals.save()
    with pytest.raises(PlanChanged) as refused:
        round_generate(actor=accountant, round_=round_, token=stale.token)
    assert [invoice.student_id for invoice, _ in refused.value.plan.changed] == [an.pk, binh.pk]
    assert Invoice.objects.get(student=an).total == 780_000  # nothing applied
    round_generate(actor=accountant, round_=round_, token=refused.value.plan.token)
    assert Invoice.objects.get(student=an).total == 830_000


def test_approved_reductions_only_and_leavers_cancelled(fees, world):
    accountant, an, binh, meals, _club, _books = fees
    FeeReduction.objects.create(
        item=meals,
        student=an,
        kind="percent",
        value=50,
        reason="Hộ nghèo",
        requested_by=accountant,
        status=FeeReduction.Status.APPROVED,
    )
    FeeReduction.objects.create(
        item=meals,
        student=binh,
        kind="amount",
        value=100_000,
        reason="Con thương binh",
        requested_by=accountant,
    )  # pending: not applied
    round_ = round_make(accountant, [meals])
    round_invoice(accountant, round_)
    assert Invoice.objects.get(student=an).lines.get().reduction == 300_000
    assert Invoice.objects.get(student=binh).total == 600_000

    binh.status = StudentStatus.TRANSFERRED
    binh.save()
    plan = round_plan(round_)
    assert [i.student_id for i in plan.cancel] == [binh.pk]
    round_generate(actor=accountant, round_=round_, token=plan.token)
    invoice = Invoice.objects.get(student=binh)
    assert invoice.state == InvoiceState.CANCELLED and invoice.cancelled_at <= timezone.now()
