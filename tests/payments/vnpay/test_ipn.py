"""VNPay's IPN at /hooks/vnpay/<code>/, answered as VNPAY's guide says: 00 recorded (the invoice paid through
the ledger, once), 01 no such order, 02 already confirmed (a replay changes nothing), 04 a wrong amount
(nothing changes), 97 a bad signature or a school that cannot verify it, 99 anything else."""

import pytest
from django.utils import timezone

from payments.ledger.services import Incoming, transaction_record
from payments.models import BankTransaction, InvoiceState, Payment, Receipt, VnpayOrder
from payments.vnpay.services import vnpay_merchant_remove, vnpay_order_start
from schoolbook.audit.models import AuditEvent
from tenants.models import School
from tests.payments.vnpay.conftest import RETURN_URL, ipn_result, request_here, signed_query

pytestmark = pytest.mark.django_db
OTHER_SECRET = "ANOTHERMERCHANTSSECRET0123456789"


@pytest.fixture
def order(billed):
    order, _url = vnpay_order_start(actor=billed.mother, invoice=billed.invoice, return_url=RETURN_URL)
    return order


def ipn(query: str, code: str = "test-a"):
    response = request_here("get", f"/hooks/vnpay/{code}/?{query}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()


def _altered(query: str) -> str:
    return query[:-1] + ("1" if query[-1] != "1" else "2")


def ledger_state(invoice):
    invoice.refresh_from_db()
    return (
        invoice.paid,
        invoice.state,
        BankTransaction.objects.count(),
        Payment.objects.count(),
        Receipt.objects.count(),
        list(VnpayOrder.objects.values_list("status", flat=True)),
    )


def test_a_paid_ipn_pays_the_invoice_once_and_a_replay_answers_02(billed, order):
    query = signed_query(ipn_result(order))
    assert ipn(query) == {"RspCode": "00", "Message": "Confirm Success"}
    invoice = billed.invoice
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.state) == (1_250_000, InvoiceState.PAID)
    row = BankTransaction.objects.get()
    assert (row.source, row.provider_id, row.amount, row.note, row.reference) == (
        "vnpay", "14422574", 1_250_000, invoice.code, order.txn_ref
    )  # fmt: skip
    assert row.status == BankTransaction.Status.MATCHED
    assert row.occurred_at.isoformat() == "2026-09-01T01:11:22+00:00"  # 08:11:22 in Vietnam
    assert Receipt.objects.filter(payment__invoice=invoice).count() == 1
    order.refresh_from_db()
    assert (order.status, order.response_code, order.transaction_no) == ("paid", "00", "14422574")
    assert order.confirmed_at is not None
    assert AuditEvent.objects.filter(action="payments.vnpay_confirm", object_id=str(order.pk)).count() == 1

    before = ledger_state(invoice)
    assert ipn(query) == {"RspCode": "02", "Message": "Order already confirmed"}
    assert ledger_state(invoice) == before


def test_a_wrong_amount_answers_04_and_changes_nothing(billed, order):
    before = ledger_state(billed.invoice)
    for amount in (1_000, 1_250_001, 0):
        assert ipn(signed_query(ipn_result(order, amount=amount)))["RspCode"] == "04"
    bad = {**ipn_result(order), "vnp_Amount": "125000050"}  # not whole đồng
    assert ipn(signed_query(bad))["RspCode"] == "04"
    assert ledger_state(billed.invoice) == before
    # The right amount afterwards is still recorded: the order was never touched.
    assert ipn(signed_query(ipn_result(order)))["RspCode"] == "00"


def test_a_failed_payment_marks_the_order_and_leaves_the_invoice(billed, order):
    query = signed_query(ipn_result(order, response_code="24"))
    assert ipn(query)["RspCode"] == "00"
    order.refresh_from_db()
    assert (order.status, order.response_code, order.transaction_no) == ("failed", "24", "0")
    assert ledger_state(billed.invoice)[:5] == (0, InvoiceState.OPEN, 0, 0, 0)
    # A later "paid" for the same reference is refused: the order is confirmed already.
    assert ipn(signed_query(ipn_result(order)))["RspCode"] == "02"
    assert ledger_state(billed.invoice)[:5] == (0, InvoiceState.OPEN, 0, 0, 0)


@pytest.mark.parametrize(
    ("code", "query", "answer"),
    [
        ("test-a", lambda order: signed_query(ipn_result(order), secret=OTHER_SECRET), "97"),
        ("test-a", lambda order: _altered(signed_query(ipn_result(order))), "97"),  # hash altered
        ("test-a", lambda order: signed_query(ipn_result(order)).replace("=125000000", "=100"), "97"),
        ("test-a", lambda order: signed_query(ipn_result(order)).rsplit("&", 1)[0], "97"),  # no hash
        ("test-a", lambda order: signed_query({**ipn_result(order), "vnp_TxnRef": "HD0000000NOPE"}), "01"),
        ("test-b", lambda order: signed_query(ipn_result(order)), "97"),  # school B has no VNPay
        ("no-such-school", lambda order: signed_query(ipn_result(order)), "97"),
        ("NOT A CODE", lambda order: signed_query(ipn_result(order)), "97"),
        ("test-a", lambda order: signed_query({**ipn_result(order), "vnp_PayDate": "20261301000000"}), "99"),
        ("test-a", lambda order: "", "99"),
    ],
)  # fmt: skip
def test_refused_ipns_change_nothing(billed, order, code, query, answer):
    before = ledger_state(billed.invoice)
    assert ipn(query(order), code=code)["RspCode"] == answer
    assert ledger_state(billed.invoice) == before


def test_a_suspended_school_records_nothing(billed, order):
    School.objects.filter(code="test-a").update(is_active=False)
    before = ledger_state(billed.invoice)
    assert ipn(signed_query(ipn_result(order)))["RspCode"] == "99"
    assert ipn(signed_query(ipn_result(order), secret=OTHER_SECRET))["RspCode"] == "97"
    assert ledger_state(billed.invoice) == before


def test_after_the_merchant_is_removed_nothing_verifies(billed, order):
    vnpay_merchant_remove(actor=billed.world.admin_a)
    assert ipn(signed_query(ipn_result(order)))["RspCode"] == "97"
    assert VnpayOrder.objects.get().status == "pending"


def test_money_for_an_invoice_paid_meanwhile_waits_in_the_unmatched_queue(billed, order):
    """The parent also paid by bank transfer before VNPay's IPN came: VNPay's money is real, so it is
    recorded, and with nothing left to pay it waits for the accountant (refund or assign)."""
    invoice = billed.invoice
    transaction_record(Incoming("sepay", "sp-9", 1_250_000, f"{invoice.code} HOC PHI", timezone.now()))
    assert ipn(signed_query(ipn_result(order)))["RspCode"] == "00"
    row = BankTransaction.objects.get(source="vnpay")
    assert (row.status, row.unapplied) == (BankTransaction.Status.UNMATCHED, 1_250_000)
    invoice.refresh_from_db()
    assert (invoice.paid, invoice.state) == (1_250_000, InvoiceState.PAID)


def test_post_is_not_an_ipn(billed, order):
    response = request_here("post", f"/hooks/vnpay/test-a/?{signed_query(ipn_result(order))}")
    assert response.status_code == 405
    assert VnpayOrder.objects.get().status == "pending"
