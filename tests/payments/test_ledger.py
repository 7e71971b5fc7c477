"""The ledger: a transfer stored once and matched, partial and family payments, receipts without gaps,
reversals as the only correction, the unmatched queue."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import Role
from payments.invoicing.qr import family_code
from payments.ledger.services import (
    Incoming,
    LedgerError,
    payment_reverse,
    transaction_assign,
    transaction_record,
    transaction_refund,
    transactions_record,
)
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from schoolbook.audit.models import AuditEvent
from students.models import SchoolClass
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(school):
    a1 = SchoolClass.objects.get(name="6A1")
    accountant = staff_make(school, "0911000002", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    an = student_enrol("LG-1", a1, "Nguyễn Văn An")
    em = student_enrol("LG-2", a1, "Nguyễn Thị Em")
    mother = guardian_link(an, "0911000003")
    guardian_link(em, "0911000003")
    meals = fee_item_make("Tiền ăn", 500_000)
    round_invoice(accountant, round_make(accountant, [meals]))
    return accountant, Invoice.objects.get(student=an), Invoice.objects.get(student=em), mother


def incoming(provider_id, amount, note):
    return Incoming(source="sepay", provider_id=provider_id, amount=amount, note=note,
                    occurred_at=timezone.now(), counter_account="0123456789")  # fmt: skip


def test_a_mangled_note_pays_once_and_a_replay_changes_nothing(billed):
    _, an, _, _ = billed
    note = f"MBVCB.3312.{an.code.lower()}hoc phi.CT tu 0123456789 toi 1903"
    row, created = transaction_record(incoming("sp-1", 500_000, note))
    assert created and row.status == BankTransaction.Status.MATCHED and row.unapplied == 0
    assert row.counter_account == "••••6789"
    again, created = transaction_record(incoming("sp-1", 500_000, note))
    assert not created and again.pk == row.pk
    an.refresh_from_db()
    assert (an.paid, an.state) == (500_000, InvoiceState.PAID)
    assert Payment.objects.filter(invoice=an).count() == 1


def test_partial_then_over_payment_and_receipts_numbered_without_gaps(billed):
    _, an, _, _ = billed
    transaction_record(incoming("sp-2", 200_000, an.code))
    an.refresh_from_db()
    assert an.state == InvoiceState.PARTLY_PAID and an.outstanding == 300_000
    transaction_record(incoming("sp-3", 400_000, an.code))
    an.refresh_from_db()
    assert (an.paid, an.state) == (600_000, InvoiceState.OVERPAID)
    numbers = list(Receipt.objects.filter(payment__invoice=an).values_list("number", flat=True))
    assert numbers == [numbers[0], numbers[0] + 1]


def test_a_family_code_pays_every_child_oldest_due_first(billed):
    _, an, em, mother = billed
    Invoice.objects.filter(pk=em.pk).update(due_on=an.due_on - datetime.timedelta(days=3))
    row, _ = transaction_record(incoming("sp-4", 700_000, f"chuyen tien {family_code(mother.pk)}"))
    an.refresh_from_db(), em.refresh_from_db()
    assert (em.paid, an.paid) == (500_000, 200_000)
    assert row.status == BankTransaction.Status.MATCHED


def test_unmatched_assigned_or_refunded_and_payments_only_reversed(billed):
    accountant, an, _em, _ = billed
    row, _ = transaction_record(incoming("sp-5", 500_000, "hoc phi con An lop 6A1"))
    assert row.status == BankTransaction.Status.UNMATCHED and row.unapplied == 500_000
    with pytest.raises(LedgerError):
        transaction_assign(actor=accountant.user, row=row, invoice=an, amount=600_000)
    payment = transaction_assign(actor=accountant.user, row=row, invoice=an, amount=500_000)
    row.refresh_from_db()
    assert row.status == BankTransaction.Status.MATCHED

    with pytest.raises(ValidationError):
        payment.amount = 1
        payment.save()
    with pytest.raises(ValidationError):
        payment.delete()

    reversal = payment_reverse(
        actor=accountant.user, payment=Payment.objects.get(pk=payment.pk), reason="Nhầm học sinh"
    )
    assert reversal.amount == -500_000
    an.refresh_from_db(), row.refresh_from_db()
    assert (an.paid, an.state) == (0, InvoiceState.OPEN)
    assert row.status == BankTransaction.Status.UNMATCHED and row.unapplied == 500_000
    assert Receipt.objects.get(payment=payment).voided_at is not None
    with pytest.raises(LedgerError):
        payment_reverse(actor=accountant.user, payment=payment, reason="lần hai")

    transaction_refund(actor=accountant.user, row=row, note="Chuyển trả phụ huynh ngày 8/12")
    row.refresh_from_db()
    assert row.status == BankTransaction.Status.REFUNDED
    assert set(
        AuditEvent.objects.filter(action__startswith="payments.").values_list("action", flat=True)
    ) >= {"payments.assign", "payments.reverse", "payments.refund"}


def test_a_batch_is_stored_once_and_matched_in_order(billed):
    _, an, em, mother = billed
    batch = [
        incoming("st-1", 300_000, f"IBFT {an.code}"),
        incoming("st-1", 300_000, f"IBFT {an.code}"),  # the same row twice in one statement
        incoming("st-2", 300_000, f"{an.code} lan 2"),  # sees what st-1 left: 200,000 owed, 100,000 over
        incoming("st-3", 450_000, f"{family_code(mother.pk)} ca nha"),  # Em's 500,000 first, partly
        incoming("st-4", 90_000, "khong co ma"),
    ]
    new = transactions_record(batch)
    assert [row.provider_id for row in new] == ["st-1", "st-2", "st-3", "st-4"]
    an.refresh_from_db(), em.refresh_from_db()
    assert (an.paid, an.state) == (600_000, InvoiceState.OVERPAID)
    assert (em.paid, em.state) == (450_000, InvoiceState.PARTLY_PAID)
    statuses = dict(BankTransaction.objects.values_list("provider_id", "status"))
    assert statuses == {"st-1": "matched", "st-2": "matched", "st-3": "matched", "st-4": "unmatched"}
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(numbers[0], numbers[0] + 3))
    assert transactions_record(batch) == []
    assert Payment.objects.count() == 3
