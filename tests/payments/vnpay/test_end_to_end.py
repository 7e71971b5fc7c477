"""A payment end to end, over HTTP: the live server, a local VNPay (tests.fakes.vnpay) and a parent's session
as a browser has it. The parent starts the payment, VNPay's checkout accepts the signed redirect, the customer
pays, VNPay calls the IPN, the invoice is paid, the return page says so; replays, two IPNs at once, a wrong
amount and a cancelled payment change nothing they should not."""

import re
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.conf import settings

from tests.conftest import TEST_PASSWORD
from tests.fakes.vnpay import CHECKOUT_PATH, SUBMIT_PATH, VnpayPageError, signed
from tests.payments.vnpay.conftest import HASH_SECRET, ledger_of

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def session(live_family):
    """The mother, signed in through the login form as her browser would be. Closed after the test: its kept-
    alive connection would hold a live-server thread, and that thread's database connection, open."""
    with requests.Session() as session:
        page = session.get(f"{live_family.url}/login/")
        form = {"csrfmiddlewaretoken": CSRF.search(page.text).group(1), "phone": live_family.mother.phone,
                "password": TEST_PASSWORD}  # fmt: skip
        session.post(f"{live_family.url}/login/", data=form)
        assert session.cookies.get(settings.SESSION_COOKIE_NAME), "the login failed"
        yield session


def start_payment(session, family) -> str:
    """She presses "Thanh toán qua VNPay" on the invoice: the VNPay URL our server sends her to."""
    start = f"{family.url}/s/test-a/fees/invoices/{family.invoice.pk}/vnpay/"
    page = session.get(start)
    assert page.status_code == 200 and "Thanh toán qua VNPay (thẻ, ví)" in page.text
    response = session.post(start, data={"csrfmiddlewaretoken": CSRF.search(page.text).group(1)},
                            allow_redirects=False)  # fmt: skip
    assert response.status_code == 302
    return response.headers["Location"]


def checkout(session, url) -> str:
    """Her browser follows the redirect to VNPay's checkout page: its token."""
    page = session.get(url)
    assert page.status_code == 200 and urlsplit(page.url).path == CHECKOUT_PATH, page.url
    assert "1.250.000 VND" in page.text
    return re.search(r'name="token" value="([0-9a-f]+)"', page.text).group(1)


def submit(session, family, token, action) -> str:
    response = session.post(family.fake.url + SUBMIT_PATH, data={"token": token, "action": action},
                            allow_redirects=False)  # fmt: skip
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.mark.slow
def test_a_parent_pays_through_vnpay_and_the_invoice_is_paid(live_family, session):
    family, fake = live_family, live_family.fake
    token = checkout(session, start_payment(session, family))
    back = submit(session, family, token, "pay")
    assert back.startswith(f"{family.url}/s/test-a/fees/vnpay/return/?")
    [call] = fake.ipn_calls
    assert (call.status, call.answer) == (200, {"RspCode": "00", "Message": "Confirm Success"})
    assert ledger_of(family.invoice) == (1_250_000, "paid", ["paid"], 1)

    page = session.get(back)
    assert page.status_code == 200 and 'data-state="paid"' in page.text
    assert "Trường đã nhận 1.250.000" in page.text and "Phạm Minh Khôi" in page.text

    # VNPay repeats its IPN: "already confirmed", and nothing is counted twice.
    assert fake.replay_ipn(call.txn_ref).answer["RspCode"] == "02"
    assert ledger_of(family.invoice) == (1_250_000, "paid", ["paid"], 1)
    # Nothing is owed any more: no button, and starting again is refused.
    page = session.get(f"{family.url}/s/test-a/fees/invoices/{family.invoice.pk}/vnpay/")
    assert "data-vnpay-pay" not in page.text and "không còn khoản phải nộp" in page.text


@pytest.mark.slow
def test_two_ipns_at_once_record_the_payment_once(live_family, session):
    family, fake = live_family, live_family.fake
    fake.hold_ipn = True
    back = submit(session, family, checkout(session, start_payment(session, family)), "pay")
    waiting = session.get(back)
    assert 'data-state="waiting"' in waiting.text and 'hx-trigger="every 3s"' in waiting.text
    assert ledger_of(family.invoice) == (0, "open", ["pending"], 0)

    (txn_ref,) = fake.results
    answers, barrier = [], threading.Barrier(4)

    def deliver():
        barrier.wait()
        answers.append(requests.get(fake.ipn_url(txn_ref), timeout=30).json()["RspCode"])

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == ["00", "02", "02", "02"]
    assert ledger_of(family.invoice) == (1_250_000, "paid", ["paid"], 1)
    assert 'data-state="paid"' in session.get(back, headers={"HX-Request": "true"}).text


@pytest.mark.slow
def test_a_wrong_amount_and_a_cancelled_payment_change_nothing(live_family, session):
    family, fake = live_family, live_family.fake
    fake.pay(checkout(session, start_payment(session, family)), amount=1_000)
    assert fake.ipn_calls[-1].answer["RspCode"] == "04"
    assert ledger_of(family.invoice) == (0, "open", ["pending"], 0)

    back = submit(session, family, checkout(session, start_payment(session, family)), "cancel")
    assert fake.ipn_calls[-1].answer["RspCode"] == "00"  # recorded: as a failed order
    assert ledger_of(family.invoice) == (0, "open", ["failed", "pending"], 0)
    page = session.get(back)
    assert 'data-state="failed"' in page.text and "Bạn đã huỷ giao dịch." in page.text


@pytest.mark.slow
def test_vnpay_refuses_a_tampered_redirect_as_its_page_does(live_family, session):
    family, fake = live_family, live_family.fake
    url = start_payment(session, family)
    for tampered, code in (
        (url.replace("vnp_Amount=125000000", "vnp_Amount=100"), "70"),  # the parent edits the amount
        (url.replace("vnp_TmnCode=THCSA001", "vnp_TmnCode=NOSUCH01"), "72"),
    ):
        with pytest.raises(VnpayPageError) as refused:
            fake.open(tampered)
        assert refused.value.code == code
        page = session.get(tampered)
        assert f"code={code}" in page.url and "mã lỗi" in page.text
    # Signed with the school's secret but not what VNPay accepts: "data in the wrong format".
    params = {k: v for k, v in parse_qsl(urlsplit(url).query) if k != "vnp_SecureHash"}
    for change in ({"vnp_Version": "2.0.1"}, {"vnp_Amount": "12500.00"}, {"vnp_ExpireDate": "2026-09-01"}):
        with pytest.raises(VnpayPageError) as refused:
            fake.open(f"{fake.payment_url}?{signed({**params, **change}, HASH_SECRET)}")
        assert refused.value.code == "03", change
    assert fake.ipn_calls == [] and ledger_of(family.invoice)[:2] == (0, "open")
