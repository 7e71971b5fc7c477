"""VNPay's school pages: the merchant settings (fee managers only, the secret sealed and never shown, removal
after a confirmation, audited), starting a payment (a guardian of the invoice's student only) and the return
page, which checks the signature and only reads the order."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings

from payments import vnpay_protocol
from payments.models import PaymentProvider, VnpayOrder
from payments.vnpay.services import vnpay_ipn_receive, vnpay_merchant_remove, vnpay_order_start
from schoolbook.audit.models import AuditEvent
from schoolbook.sealed import unseal
from tests.conftest import confirm_token
from tests.factories import parent_make, staff_make, student_enrol
from tests.payments.vnpay.conftest import (
    HASH_SECRET,
    RETURN_URL,
    TMN_CODE,
    ipn_result,
    request_here,
    signed_query,
)

pytestmark = pytest.mark.django_db
SETTINGS = "/s/test-a/fees/settings/vnpay/"
REMOVE = "/s/test-a/fees/settings/vnpay/remove/"
RETURN = "/s/test-a/fees/vnpay/return/"


def start_url(invoice) -> str:
    return f"/s/test-a/fees/invoices/{invoice.pk}/vnpay/"


# --- the settings page --------------------------------------------------------------------------------------


def test_fee_managers_enter_replace_and_remove_the_merchant(billed):
    world, accountant = billed.world, billed.accountant.user
    vnpay_merchant_remove(actor=world.admin_a)
    page = request_here("get", SETTINGS, user=accountant)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-account-state="none"' in text
    assert "http://testserver/hooks/vnpay/test-a/" in text
    assert "sandbox" in text

    refused = request_here(
        "post", SETTINGS, user=accountant, data={"tmn_code": "ABC", "hash_secret": "short secret"}
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "Mã website gồm đúng 8 chữ cái" in text and "Chuỗi bí mật gồm 16 đến 128" in text
    assert "short secret" not in text  # a secret is never sent back, even with errors
    assert not PaymentProvider.objects.exists()

    saved = request_here(
        "post", SETTINGS, user=accountant, data={"tmn_code": "thcsa001", "hash_secret": HASH_SECRET}
    )
    assert saved.status_code == 302
    provider = PaymentProvider.objects.get(provider="vnpay")
    assert provider.hint == TMN_CODE
    assert HASH_SECRET not in provider.credentials
    assert json.loads(unseal(provider.credentials)) == {"tmn_code": TMN_CODE, "hash_secret": HASH_SECRET}
    text = request_here("get", SETTINGS, user=world.admin_a).content.decode()
    assert TMN_CODE in text and HASH_SECRET not in text and 'data-account-state="saved"' in text

    request_here("post", SETTINGS, user=accountant, data={"tmn_code": "THCSA002", "hash_secret": "B" * 32})
    replaced = AuditEvent.objects.filter(action="payments.vnpay_save").order_by("pk").last()
    assert (replaced.before, replaced.after) == (
        {"provider": "vnpay", "tmn_code": TMN_CODE}, {"provider": "vnpay", "tmn_code": "THCSA002"}
    )  # fmt: skip
    assert replaced.actor_id == accountant.pk

    preview = request_here("get", REMOVE, user=accountant)
    assert preview.status_code == 200 and "Ngừng nhận thanh toán qua VNPay (mã website THCSA002)?" in (
        preview.content.decode()
    )
    stale = request_here("post", REMOVE, user=accountant, data={"confirm": "not-the-token"})
    assert stale.status_code == 200 and PaymentProvider.objects.exists()
    done = request_here("post", REMOVE, user=accountant, data={"confirm": confirm_token(preview)})
    assert done.status_code == 302 and not PaymentProvider.objects.exists()
    assert AuditEvent.objects.filter(action="payments.vnpay_remove", actor=accountant).exists()
    assert not any(
        HASH_SECRET in json.dumps([e.before, e.after])
        for e in AuditEvent.objects.filter(action__startswith="payments.")
    )


def test_the_removal_preview_counts_payments_still_waiting(billed):
    vnpay_order_start(actor=billed.mother, invoice=billed.invoice, return_url=RETURN_URL)
    preview = request_here("get", REMOVE, user=billed.world.admin_a)
    assert "1 giao dịch VNPay đang chờ xác nhận" in preview.content.decode()


def test_only_fee_managers_see_the_settings(billed):
    world = billed.world
    for user in (world.principal_a, world.teacher_a, billed.mother, world.staff_b, world.outsider_parent):
        for path in (SETTINGS, REMOVE):
            assert request_here("get", path, user=user).status_code == 404, (user, path)
            data = {"tmn_code": "EVIL0001", "hash_secret": "E" * 32, "confirm": "x"}
            assert request_here("post", path, user=user, data=data).status_code == 404, (user, path)
    assert request_here("get", SETTINGS).status_code == 302  # anonymous: the login page
    assert PaymentProvider.objects.get().hint == TMN_CODE


# --- starting a payment ------------------------------------------------------------------------------------


def test_the_guardian_starts_a_payment_and_is_sent_to_vnpay(billed):
    page = request_here("get", start_url(billed.invoice), user=billed.mother)
    text = page.content.decode()
    assert page.status_code == 200
    assert "Nguyễn Văn An" in text and "1.250.000" in text and billed.invoice.code in text
    assert f'data-vnpay-pay="{billed.invoice.code}"' in text and "Thanh toán qua VNPay (thẻ, ví)" in text

    response = request_here("post", start_url(billed.invoice), user=billed.mother, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 302
    parts = urlsplit(response["Location"])
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == settings.VNPAY_PAYMENT_URL
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert vnpay_protocol.verify(params, HASH_SECRET)
    order = VnpayOrder.objects.get()
    assert (order.invoice_id, order.amount, order.created_by_id, order.status) == (
        billed.invoice.pk, 1_250_000, billed.mother.pk, "pending"
    )  # fmt: skip
    assert order.txn_ref.startswith(billed.invoice.code)
    assert params["vnp_TxnRef"] == order.txn_ref
    assert params["vnp_Amount"] == "125000000" and params["vnp_TmnCode"] == TMN_CODE
    assert params["vnp_IpAddr"] == "203.0.113.7"
    assert params["vnp_ReturnUrl"] == "http://testserver/s/test-a/fees/vnpay/return/"
    assert params["vnp_OrderInfo"] == f"Thanh toan hoa don {billed.invoice.code}"
    assert AuditEvent.objects.filter(action="payments.vnpay_start", actor=billed.mother).exists()

    again = request_here("get", start_url(billed.invoice), user=billed.mother).content.decode()
    assert "Bạn đã bắt đầu một giao dịch VNPay cho hoá đơn này" in again  # warned before paying twice


def test_nothing_to_pay_or_no_vnpay_shows_why_and_creates_no_order(billed):
    from payments.models import Invoice

    Invoice.objects.filter(pk=billed.invoice.pk).update(paid=1_250_000, state="paid")
    response = request_here("post", start_url(billed.invoice), user=billed.mother)
    assert response.status_code == 409
    text = response.content.decode()
    assert "Hoá đơn này không còn khoản phải nộp" in text and "data-vnpay-pay" not in text

    Invoice.objects.filter(pk=billed.invoice.pk).update(paid=0, state="open")
    vnpay_merchant_remove(actor=billed.world.admin_a)
    page = request_here("get", start_url(billed.invoice), user=billed.mother)
    assert "Trường chưa nhận thanh toán qua VNPay" in page.content.decode()
    assert "data-vnpay-pay" not in page.content.decode()
    assert request_here("post", start_url(billed.invoice), user=billed.mother).status_code == 409
    assert not VnpayOrder.objects.exists()


def test_only_the_students_guardians_may_pay(billed):
    world = billed.world
    other_child = student_enrol("VN-2", billed.student.enrolments.get().school_class, "Lê Thị Khác")
    other_parent = parent_make(world, other_child, "0911000104", "Lê Văn Khác")
    homeroom = staff_make(world, "0911000105", "Cô Chủ Nhiệm")
    for user in (
        world.parent,
        other_parent,
        world.teacher_a,
        homeroom.user,
        world.admin_a,
        world.outsider_parent,
    ):
        assert request_here("get", start_url(billed.invoice), user=user).status_code == 404, user
        assert request_here("post", start_url(billed.invoice), user=user).status_code == 404, user
    assert request_here("get", "/s/test-a/fees/invoices/999999/vnpay/", user=billed.mother).status_code == 404
    anonymous = request_here("post", start_url(billed.invoice))
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert not VnpayOrder.objects.exists()


# --- the return page ---------------------------------------------------------------------------------------


def test_the_return_page_reads_the_order_and_polls_until_the_ipn_came(billed):
    order, _url = vnpay_order_start(actor=billed.mother, invoice=billed.invoice, return_url=RETURN_URL)
    back = f"{RETURN}?{signed_query(ipn_result(order))}"
    waiting = request_here("get", back, user=billed.mother)
    text = waiting.content.decode()
    assert waiting.status_code == 200
    assert 'data-state="waiting"' in text and "Đang xác nhận với VNPay" in text
    assert 'hx-trigger="every 3s"' in text and "hx-get=" in text
    order.refresh_from_db()
    assert order.status == "pending"  # the return page changes nothing
    billed.invoice.refresh_from_db()
    assert billed.invoice.paid == 0

    assert vnpay_ipn_receive(dict(parse_qsl(signed_query(ipn_result(order)))))["RspCode"] == "00"
    polled = request_here("get", back, user=billed.mother, headers={"HX-Request": "true"})
    text = polled.content.decode()
    assert text.lstrip().startswith('<div id="vnpay-status"') or "<html" not in text
    assert 'data-state="paid"' in text and "Đã thanh toán" in text and "hx-trigger" not in text
    assert "Trường đã nhận 1.250.000" in text


def test_a_failed_payment_says_why_and_offers_to_try_again(billed):
    order, _url = vnpay_order_start(actor=billed.mother, invoice=billed.invoice, return_url=RETURN_URL)
    back = f"{RETURN}?{signed_query(ipn_result(order, response_code='24'))}"
    text = request_here("get", back, user=billed.mother).content.decode()
    assert 'data-state="failed"' in text and "Bạn đã huỷ giao dịch." in text
    assert start_url(billed.invoice) in text and "hx-trigger" not in text
    assert VnpayOrder.objects.get().status == "pending"  # only the IPN changes it

    vnpay_ipn_receive(dict(parse_qsl(signed_query(ipn_result(order, response_code="51")))))
    text = request_here("get", back, user=billed.mother).content.decode()
    assert "Tài khoản không đủ số dư." in text  # what the IPN recorded wins


def test_the_return_page_refuses_what_it_cannot_verify_or_may_not_show(billed):
    order, _url = vnpay_order_start(actor=billed.mother, invoice=billed.invoice, return_url=RETURN_URL)
    forged = f"{RETURN}?{signed_query(ipn_result(order), secret='NOTTHESCHOOLSSECRET0123456789ABC')}"
    refused = request_here("get", forged, user=billed.mother)
    assert refused.status_code == 403 and "Không xác minh được" in refused.content.decode()
    assert request_here("get", RETURN, user=billed.mother).status_code == 403

    back = f"{RETURN}?{signed_query(ipn_result(order))}"
    for user in (
        billed.world.parent,
        billed.world.teacher_a,
        billed.world.admin_a,
        billed.world.outsider_parent,
    ):
        response = request_here("get", back, user=user)
        assert response.status_code == 404, user
        assert "Nguyễn Văn An" not in response.content.decode()
