"""The school's SePay and Casso webhooks, request by request: each authentic transfer stored once and
matched, answered as each provider expects; everything that cannot be verified (unknown or suspended school,
no account, a wrong key or signature, another school's key) gets the same empty 403 and changes nothing;
an authentic body that cannot be read gets 400 with the reason; outgoing transfers and Casso's test call
are answered, not stored; another school's webhook never touches school A. A few queries per request."""

import hashlib
import hmac
import json
import time

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from payments.feeds.services import feed_account_remove, feed_account_save
from payments.models import BankTransaction, Invoice, InvoiceState, Payment
from students.models import SchoolClass
from tenants.services import school_suspend
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol
from tests.fakes.bank_feeds import CassoSender, SepaySender

pytestmark = pytest.mark.django_db
SEPAY_KEY, CASSO_KEY = "sepay-key-of-school-a-01", "casso-key-of-school-a-0123456789"
SEPAY_B_KEY, CASSO_B_KEY = "sepay-key-of-school-b-01", "casso-key-of-school-b-0123456789"
SEPAY_A, CASSO_A = "/hooks/sepay/test-a/", "/hooks/casso/test-a/"
SEPAY_B, CASSO_B = "/hooks/sepay/test-b/", "/hooks/casso/test-b/"
SEPAY = SepaySender(SEPAY_A, SEPAY_KEY)
CASSO = CassoSender(CASSO_A, CASSO_KEY)


@pytest.fixture
def billed(school):
    """School A with an invoice of 500.000 đ and its SePay and Casso keys; school B with its own keys."""
    accountant = staff_make(school, "0911000102", "Trần Kế Toán", roles=["accountant"])
    child = student_enrol("WH-1", SchoolClass.objects.get(name="6A1"), "Nguyễn Văn An")
    guardian_link(child, "0911000103")
    round_invoice(school.admin_a, round_make(accountant, [fee_item_make("Tiền ăn", 500_000)]))
    feed_account_save(actor=school.admin_a, provider="sepay", key=SEPAY_KEY)
    feed_account_save(actor=school.admin_a, provider="casso", key=CASSO_KEY)
    invoice = Invoice.objects.get(student=child)
    with schema_context("school_test_b"):
        feed_account_save(actor=school.admin_a, provider="sepay", key=SEPAY_B_KEY)
        feed_account_save(actor=school.admin_a, provider="casso", key=CASSO_B_KEY)
    connection.set_schema_to_public()  # requests come from outside any school
    return invoice


def _post(path, body, **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    return Client().post(path, data=data, content_type="application/json", headers=headers)


def _sepay(body, key=SEPAY_KEY, path=SEPAY_A):
    return _post(path, body, Authorization=f"Apikey {key}")


def _casso(body, key=CASSO_KEY, path=CASSO_A, *, timestamp_ms=None, signed=None):
    header = CASSO.signature(body if signed is None else signed, key=key, timestamp_ms=timestamp_ms)
    return _post(path, body, **{"X-Casso-Signature": header})


def _fingerprint(schema="school_test_a"):
    with schema_context(schema):
        return (
            BankTransaction.objects.count(),
            Payment.objects.count(),
            sorted(Invoice.objects.values_list("pk", "state", "paid")),
        )


def _state(invoice) -> str:
    with schema_context("school_test_a"):
        return Invoice.objects.get(pk=invoice.pk).state


def test_sepay_stores_once_matches_and_answers_success(billed, django_assert_max_num_queries):
    body = SEPAY.transfer(500_000, f"MBVCB.8812.{billed.code} HOC PHI.CT tu 0123456789")
    with django_assert_max_num_queries(30):
        response = _sepay(body)
    assert (response.status_code, response.json()) == (201, {"success": True})
    with schema_context("school_test_a"):
        row = BankTransaction.objects.get(source="sepay", provider_id=str(body["id"]))
    assert (row.amount, row.status, row.unapplied, row.reference, row.note) == (
        500_000, "matched", 0, body["referenceCode"], body["content"]
    )  # fmt: skip
    assert row.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S") == body["transactionDate"]
    assert _state(billed) == InvoiceState.PAID
    before = _fingerprint()
    with django_assert_max_num_queries(6):
        replay = _sepay(body)
    assert (replay.status_code, replay.json()) == (200, {"success": True})
    assert _fingerprint() == before


def test_sepay_outgoing_transfers_are_answered_and_not_stored(billed):
    before = _fingerprint()
    response = _sepay(SEPAY.transfer(300_000, f"chi tra {billed.code}", transfer_type="out"))
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert _fingerprint() == before


def test_casso_stores_once_and_its_test_call_is_answered_but_not_kept(billed):
    body = CASSO.transfer(200_000, f"{billed.code} me An chuyen tien")
    response = _casso(body)
    assert (response.status_code, response.json()) == (201, {"success": True})
    assert _state(billed) == InvoiceState.PARTLY_PAID
    before = _fingerprint()
    assert (_casso(body).status_code, _fingerprint()) == (200, before)  # a replay
    money_out = CASSO.transfer(-150_000, "tra lai")
    assert (_casso(money_out).status_code, _fingerprint()) == (200, before)
    test_call = CASSO.transfer(599_000, "giao dich thu nghiem")  # Casso's "Gọi thử" sends its sample: id 0
    test_call["data"]["id"] = 0
    response = _casso(test_call)
    assert (response.status_code, response.json(), _fingerprint()) == (200, {"success": True}, before)


def test_casso_signatures_over_escaped_or_plain_vietnamese_both_verify(billed):
    """Casso's samples serialise non-ASCII text escaped (Python's) or as it is (JavaScript's)."""
    escaped = CASSO.transfer(200_000, f"{billed.code} Nguyễn Văn An nộp học phí")
    assert _casso(escaped).status_code == 201
    plain = CASSO.transfer(300_000, f"{billed.code} mẹ An chuyển nốt")
    timestamp = int(time.time() * 1000)
    message = f"{timestamp}." + json.dumps(_sorted(plain), separators=(",", ":"), ensure_ascii=False)
    digest = hmac.new(CASSO_KEY.encode(), message.encode(), hashlib.sha512).hexdigest()
    assert _post(CASSO_A, plain, **{"X-Casso-Signature": f"t={timestamp},v1={digest}"}).status_code == 201
    assert _state(billed) == InvoiceState.PAID


def _sorted(value):
    return {key: _sorted(value[key]) for key in sorted(value)} if isinstance(value, dict) else value


@pytest.mark.parametrize(
    "case",
    [
        "wrong key",
        "no header",
        "another scheme",
        "school b's key",
        "unknown school",
        "suspended",
        "no account",
    ],
)
def test_sepay_refuses_what_it_cannot_verify_with_the_same_403(billed, world, case):
    body = SEPAY.transfer(500_000, billed.code)
    before = _fingerprint()
    if case == "wrong key":
        response = _sepay(body, key="sepay-key-of-school-a-02")
    elif case == "no header":
        response = _post(SEPAY_A, body)
    elif case == "another scheme":
        response = _post(SEPAY_A, body, Authorization=f"Bearer {SEPAY_KEY}")
    elif case == "school b's key":
        response = _sepay(body, key=SEPAY_B_KEY)
    elif case == "unknown school":
        response = _sepay(body, path="/hooks/sepay/no-such-school/")
    elif case == "suspended":
        school_suspend(actor=world.platform_admin, school=world.school_a, reason="Chưa gia hạn")
        response = _sepay(body)
    else:
        with schema_context("school_test_a"):
            feed_account_remove(actor=world.admin_a, provider="sepay")
        response = _sepay(body)
    assert (response.status_code, response.content) == (403, b"")
    assert _fingerprint() == before


@pytest.mark.parametrize(
    "case", ["wrong key", "school b's key", "stale", "changed body", "no header", "not json", "no account"]
)
def test_casso_refuses_what_it_cannot_verify_with_the_same_403(billed, world, case):
    body = CASSO.transfer(500_000, billed.code)
    before = _fingerprint()
    if case == "wrong key":
        response = _casso(body, key=CASSO_KEY + "x")
    elif case == "school b's key":
        response = _casso(body, key=CASSO_B_KEY)
    elif case == "stale":
        response = _casso(body, timestamp_ms=int(time.time() * 1000) - 10 * 60 * 1000)
    elif case == "changed body":
        response = _casso({**body, "data": {**body["data"], "amount": 5_000_000}}, signed=body)
    elif case == "no header":
        response = _post(CASSO_A, body)
    elif case == "not json":
        response = _post(CASSO_A, b"error=0&amount=500000", **{"X-Casso-Signature": CASSO.signature(body)})
    else:
        with schema_context("school_test_a"):
            feed_account_remove(actor=world.admin_a, provider="casso")
        response = _casso(body)
    assert (response.status_code, response.content) == (403, b"")
    assert _fingerprint() == before


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"transferAmount": 1500.5}, "the amount must be a positive whole number of đồng: 1500.5"),
        ({"transferAmount": -500_000}, "the amount must be a positive whole number of đồng: -500000"),
        ({"transferAmount": "500000"}, "the amount must be a positive whole number of đồng: '500000'"),
        ({"id": None}, "the transaction has no id"),
        ({"transferType": "both"}, "transferType must be 'in' or 'out'"),
        ({"transactionDate": "25/03/2023 14:02"}, "the transaction time must be YYYY-MM-DD HH:MM:SS"),
    ],
)
def test_an_authentic_sepay_body_that_cannot_be_read_is_400_with_the_reason(billed, change, reason):
    before = _fingerprint()
    response = _sepay({**SEPAY.transfer(500_000, billed.code), **change})
    assert response.status_code == 400 and response.json()["success"] is False
    assert response.json()["error"].startswith(reason)
    assert _fingerprint() == before


def test_an_authentic_body_that_is_not_json_or_not_a_transaction_is_400(billed):
    response = _sepay(b"\xff not json")
    assert (response.status_code, response.json()["error"]) == (400, "the body is not JSON")
    response = _sepay([1, 2, 3])
    assert (response.status_code, response.json()["error"]) == (400, "the body is not a JSON object")
    casso_error = {"error": 1, "data": {}}
    response = _casso(casso_error)
    assert (response.status_code, response.json()["error"]) == (
        400,
        'the body must be {"error": 0, "data": {…}}',
    )


def test_a_webhook_works_in_its_own_schools_schema_only(billed):
    """School B's address with school B's key stores the transfer in school B (where no invoice has that
    code: it waits unmatched there); school A is untouched. School A's key at B's address is refused."""
    before_a, before_b = _fingerprint(), _fingerprint("school_test_b")
    note = f"{billed.code} HOC PHI"
    assert _sepay(SEPAY.transfer(500_000, note), key=SEPAY_B_KEY, path=SEPAY_B).status_code == 201
    assert _casso(CASSO.transfer(500_000, note), key=CASSO_B_KEY, path=CASSO_B).status_code == 201
    assert _sepay(SEPAY.transfer(500_000, note), key=SEPAY_KEY, path=SEPAY_B).status_code == 403
    assert _casso(CASSO.transfer(500_000, note), key=CASSO_KEY, path=CASSO_B).status_code == 403
    assert _fingerprint() == before_a
    with schema_context("school_test_b"):
        statuses = list(BankTransaction.objects.values_list("status", "unapplied"))
    assert statuses == [("unmatched", 500_000)] * 2 and _fingerprint("school_test_b")[0] == before_b[0] + 2
    for method in ("get", "put"):
        assert getattr(Client(), method)(SEPAY_A).status_code == 405
