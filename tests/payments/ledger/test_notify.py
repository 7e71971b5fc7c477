"""The confirmation a family gets when a payment is applied: its text (amount, invoice code, child, receipt;
what is still owed or overpaid), to every guardian who receives notifications, once per payment however
often the task runs, never for a payment reversed before it went out; the ledger sends the task only after
its transaction commits, in the school's schema, for matches and assignments alike."""

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.roles import Role
from messaging.models import Message
from payments.ledger.notify import payment_confirmation_send
from payments.ledger.services import Incoming, payment_reverse, transaction_assign, transaction_record
from payments.models import Invoice, Payment
from students.models import SchoolClass
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol

pytestmark = pytest.mark.django_db
SCHOOL = "Trường THCS Thử Nghiệm A"


@pytest.fixture
def billed(school):
    accountant = staff_make(school, "0911000401", "Lưu Kế Toán", roles=[Role.ACCOUNTANT])
    an = student_enrol("NT-1", SchoolClass.objects.get(name="6A1"), "Nguyễn Văn An")
    guardian_link(an, "0911000402", full_name="Nguyễn Thị Mẹ")
    guardian_link(an, "0911000403", full_name="Nguyễn Văn Bố", relationship="father")
    guardian_link(an, "0911000404", full_name="Bà Ngoại", relationship="other", notifications=False)
    round_invoice(school.admin_a, round_make(accountant, [fee_item_make("Học phí", 500_000)]))
    return accountant, Invoice.objects.get(student=an)


def _pay(provider_id, amount, note):
    return transaction_record(Incoming(source="casso", provider_id=provider_id, amount=amount, note=note,
                                       occurred_at=timezone.now()))[0]  # fmt: skip


def _messages(payment):
    return list(Message.objects.filter(reference=f"payment:{payment.pk}").order_by("recipient"))


def test_each_guardian_who_wants_messages_hears_once(billed):
    _, invoice = billed
    row = _pay("nt-1", 500_000, f"{invoice.code} hoc phi")
    payment = Payment.objects.select_related("receipt__year").get(transaction=row)
    assert payment_confirmation_send(payment.pk) == 2
    assert payment_confirmation_send(payment.pk) == 0  # the task again (a redelivery): nothing more
    messages = _messages(payment)
    assert [m.recipient for m in messages] == ["Nguyễn Thị Mẹ", "Nguyễn Văn Bố"]
    assert {m.purpose for m in messages} == {"fees"}
    assert messages[0].body == (
        f"{SCHOOL} đã nhận 500.000 đ học phí ({invoice.code}) của Nguyễn Văn An. "
        f"Biên lai số {payment.receipt.label}."
    )
    assert messages[0].link == f"{settings.SITE_URL}/s/test-a/fees/my/invoices/{invoice.pk}/"
    assert messages[0].title == "Nhà trường đã nhận tiền"


def test_a_partial_and_an_overpayment_say_what_is_left(billed):
    _, invoice = billed
    part = Payment.objects.get(transaction=_pay("nt-2", 200_000, invoice.code))
    payment_confirmation_send(part.pk)
    assert _messages(part)[0].body.endswith(" Còn phải nộp 300.000 đ.")
    extra = Payment.objects.get(transaction=_pay("nt-3", 350_000, invoice.code))
    payment_confirmation_send(extra.pk)
    assert _messages(extra)[0].body.endswith(" Số tiền nộp thừa 50.000 đ, nhà trường sẽ liên hệ.")


def test_a_payment_reversed_before_the_task_ran_is_not_announced(billed):
    accountant, invoice = billed
    payment = Payment.objects.get(transaction=_pay("nt-4", 500_000, invoice.code))
    reversal = payment_reverse(actor=accountant.user, payment=payment, reason="Nhầm mã")
    assert payment_confirmation_send(payment.pk) == 0 and payment_confirmation_send(reversal.pk) == 0
    assert payment_confirmation_send(999_999) == 0  # a payment rolled back after the task was sent
    assert not Message.objects.filter(purpose="fees").exists()


def test_the_task_leaves_after_commit_in_the_schools_schema_for_matches_and_assignments(
    billed, published, django_capture_on_commit_callbacks
):
    accountant, invoice = billed
    with django_capture_on_commit_callbacks(execute=True):
        row = _pay("nt-5", 100_000, "khong co ma")  # unmatched: no payment, no task
        assert published == []
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        payment = transaction_assign(actor=accountant.user, row=row, invoice=invoice, amount=100_000)
        assert published == []  # not before the commit
    with django_capture_on_commit_callbacks(execute=True):
        matched = Payment.objects.get(transaction=_pay("nt-6", 400_000, invoice.code))
    assert [(task, schema) for task, _args, schema, _queue in published] == [
        ("payments.tasks.payments_confirm", "school_test_a")
    ] * 2
    assert [args for _task, args, _schema, _queue in published] == [[payment.pk], [matched.pk]]
