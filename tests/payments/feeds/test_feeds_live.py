"""End to end, as it happens for real: an invoice is generated, the parent's bank reads the invoice's VietQR
and puts its note in the transfer (mangled the way banks mangle it), SePay or Casso (tests/fakes/bank_feeds)
posts the transaction to the school's webhook on the live server, the invoice is paid with a receipt, and
the real Celery worker sends the family its confirmation. A replayed webhook changes nothing, SePay's
retries deliver a transfer that arrived before the key was saved, a wrong key or signature gets 403 and
changes nothing, two transfers pay one invoice in two parts."""

import random
import secrets
import time

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from accounts.models import User
from messaging.models import Delivery, Message
from payments import vietqr
from payments.feeds.services import feed_account_remove, feed_account_save
from payments.invoicing.qr import invoice_transfer
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from tests.conftest import wait_for
from tests.fakes.bank_feeds import CassoSender, SepaySender
from tests.payments.live import SCHEMA, fee_class_make, fee_class_remove

pytestmark = pytest.mark.slow
SCHOOL_NAME = "Trường THCS Thử Nghiệm A"
SEPAY_KEY = "sepay-" + secrets.token_urlsafe(18)
CASSO_KEY = secrets.token_urlsafe(48)


def _phone() -> str:
    return "0915" + "".join(random.choices("0123456789", k=6))


@pytest.fixture
def fees(django_db_blocker, live_server_url, celery_worker):
    """Committed: two children in a class of their own, 500.000 đ billed to each, the school's SePay and
    Casso keys saved. Removed afterwards with all that the webhooks and the worker made."""
    with django_db_blocker.unblock():
        admin = User.objects.get(phone="+84900000011")
        fees = fee_class_make(admin, [("Nguyễn Văn An", _phone()), ("Trần Thị Bình", _phone())], 500_000)
        with schema_context(SCHEMA):
            feed_account_save(actor=admin, provider="sepay", key=SEPAY_KEY)
            feed_account_save(actor=admin, provider="casso", key=CASSO_KEY)
        fees.admin = admin
    yield fees
    with django_db_blocker.unblock():
        fee_class_remove(fees)


def _parents_note(fees, invoice) -> str:
    """The transfer note the parent's banking app takes from the invoice's VietQR."""
    return vietqr.decode(vietqr.encode(invoice_transfer(invoice, fees.account))).note


def _bank_mangled(note: str) -> str:
    """What the bank delivers: its own prefix and suffix, case and spaces changed (DOMAIN.md §8)."""
    glued = note.lower().replace(" ", "")
    return f"MBVCB.{random.randint(10**6, 10**7)}.{glued}.CT tu 0123456789 toi 0071000123456"


def _in_school(django_db_blocker, read):
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        return read()


def _sent_confirmation(django_db_blocker, payment_pk) -> Message:
    """The family's confirmation once the worker has sent it (console SMS in tests)."""

    def sent():
        return (
            Message.objects.filter(reference=f"payment:{payment_pk}", deliveries__status=Delivery.Status.SENT)
            .distinct()
            .first()
        )

    return wait_for(lambda: _in_school(django_db_blocker, sent), timeout=30)


def test_a_sepay_transfer_with_the_qr_note_pays_the_invoice_and_the_family_hears(
    fees, live_server_url, django_db_blocker
):
    invoice = fees.invoices[0]
    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", SEPAY_KEY)
    body = sepay.transfer(500_000, _bank_mangled(_parents_note(fees, invoice)))

    delivery = sepay.send(body)
    (attempt,) = delivery.attempts
    assert (attempt.status, attempt.json) == (201, {"success": True})

    def state():
        invoice.refresh_from_db()
        payment = Payment.objects.select_related("receipt__year").get(invoice=invoice)
        row = BankTransaction.objects.get(source="sepay", provider_id=str(body["id"]))
        return invoice.state, payment, row

    paid, payment, row = _in_school(django_db_blocker, state)
    assert paid == InvoiceState.PAID and payment.amount == 500_000 and payment.created_by is None
    assert (row.status, row.unapplied, row.reference) == ("matched", 0, body["referenceCode"])
    message = _sent_confirmation(django_db_blocker, payment.pk)
    assert message.body == (
        f"{SCHOOL_NAME} đã nhận 500.000 đ học phí ({invoice.code}) của Nguyễn Văn An. "
        f"Biên lai số {payment.receipt.label}."
    )
    assert message.link == f"{settings.SITE_URL}/s/test-a/fees/my/invoices/{invoice.pk}/"
    assert message.recipient == "Phụ huynh của Nguyễn Văn An"

    # SePay delivers the same transaction again (its retry, a replay by hand): nothing changes.
    again = sepay.send(body)
    assert [(a.status, a.json) for a in again.attempts] == [(200, {"success": True})]
    time.sleep(1)  # a wrongly sent second confirmation would have reached the worker by now
    counts = _in_school(
        django_db_blocker,
        lambda: (
            Payment.objects.filter(invoice=invoice).count(),
            BankTransaction.objects.filter(source="sepay", provider_id=str(body["id"])).count(),
            Receipt.objects.filter(payment__invoice=invoice).count(),
            Message.objects.filter(reference=f"payment:{payment.pk}").count(),
        ),
    )
    assert counts == (1, 1, 1, 1)


def test_two_casso_transfers_pay_one_invoice_and_each_is_confirmed(fees, live_server_url, django_db_blocker):
    invoice = fees.invoices[1]
    casso = CassoSender(f"{live_server_url}/hooks/casso/test-a/", CASSO_KEY)
    note = _parents_note(fees, invoice)

    first = casso.send(casso.transfer(200_000, f"{note} me Bình chuyển"))
    assert (first.status, first.json) == (201, {"success": True})
    assert _in_school(django_db_blocker, lambda: Invoice.objects.get(pk=invoice.pk).state) == "partly_paid"
    second = casso.send(casso.transfer(300_000, note))
    assert (second.status, second.json) == (201, {"success": True})

    def paid():
        payments = list(
            Payment.objects.filter(invoice=invoice).select_related("receipt__year").order_by("pk")
        )
        return Invoice.objects.get(pk=invoice.pk), payments

    invoice, (part_one, part_two) = _in_school(django_db_blocker, paid)
    assert (invoice.state, invoice.paid) == (InvoiceState.PAID, 500_000)
    assert part_two.receipt.number == part_one.receipt.number + 1
    one = _sent_confirmation(django_db_blocker, part_one.pk)
    two = _sent_confirmation(django_db_blocker, part_two.pk)
    assert f"đã nhận 200.000 đ học phí ({invoice.code}) của Trần Thị Bình." in one.body
    assert one.body.endswith("Còn phải nộp 300.000 đ.")  # what was left when the message was written
    assert two.body.endswith(f"Biên lai số {part_two.receipt.label}.")


def test_sepays_retries_deliver_a_transfer_that_came_before_the_key(fees, live_server_url, django_db_blocker):
    """The school enters its key after SePay's first tries were refused: a later retry goes through."""
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        feed_account_remove(actor=fees.admin, provider="sepay")
    invoice = fees.invoices[0]
    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", SEPAY_KEY, minute=0.3)
    thread = sepay.send_in_background(sepay.transfer(500_000, _parents_note(fees, invoice)))
    wait_for(lambda: len(thread.delivery.attempts) >= 2)
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        feed_account_save(actor=fees.admin, provider="sepay", key=SEPAY_KEY)
    delivery = thread.join(timeout=30)
    statuses = [attempt.status for attempt in delivery.attempts]
    assert statuses[:2] == [403, 403] and statuses[-1] == 201 and set(statuses[:-1]) == {403}
    waits = [b.at - a.at for a, b in zip(delivery.attempts, delivery.attempts[1:], strict=False)]
    assert waits[0] >= 0.3 and (len(waits) < 3 or waits[2] >= 0.6)  # 1, 1, 2 … "minutes"
    assert _in_school(django_db_blocker, lambda: Invoice.objects.get(pk=invoice.pk).state) == "paid"


def test_a_wrong_key_or_signature_is_refused_and_changes_nothing(fees, live_server_url, django_db_blocker):
    invoice = fees.invoices[0]
    note = _parents_note(fees, invoice)

    def fingerprint():
        found = Invoice.objects.get(pk=invoice.pk)
        return found.state, found.paid, BankTransaction.objects.count(), Payment.objects.count()

    before = _in_school(django_db_blocker, fingerprint)
    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", SEPAY_KEY, minute=0.001)
    refused = sepay.send(sepay.transfer(500_000, note), api_key="not-the-schools-key-0123")
    assert [a.status for a in refused.attempts] == [403] * 8 and not refused.delivered  # SePay gives up

    casso = CassoSender(f"{live_server_url}/hooks/casso/test-a/", CASSO_KEY)
    body = casso.transfer(500_000, note)
    assert casso.send(body, key="another-" + CASSO_KEY).status == 403
    an_hour_ago = int(time.time() * 1000) - 3_600_000
    assert casso.send(body, timestamp_ms=an_hour_ago).status == 403  # a captured request replayed later
    changed = {**body, "data": {**body["data"], "amount": 5_000_000}}
    assert casso.send(changed, signed=body).status == 403  # changed on the way
    assert _in_school(django_db_blocker, fingerprint) == before == (InvoiceState.OPEN, 0, *before[2:])
