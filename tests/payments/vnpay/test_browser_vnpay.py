"""In a real browser: a parent pays an invoice through VNPay on a phone (and on a laptop): the pay page, the
local VNPay's checkout, the return page waiting for VNPay's IPN and turning to "paid" by itself (HTMX) when
it arrives; and the accountant's VNPay settings page. Screenshots go to artifacts/vnpay-*.png."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from payments.vnpay.services import vnpay_merchant_remove
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, sign_in
from tests.payments.vnpay.conftest import ledger_of

pytestmark = pytest.mark.browser
VIEWPORTS = [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]


def _signed_in(browser, live_server_url, phone, viewport):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return ("phone" if viewport["width"] < 500 else "laptop"), context, page


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"vnpay-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_parent_pays_an_invoice_through_vnpay(browser, live_family, viewport):
    family, fake = live_family, live_family.fake
    fake.hold_ipn = True  # VNPay's IPN comes a moment after the browser is back: the page must wait for it
    name, context, page = _signed_in(browser, family.url, family.mother.phone, viewport)

    page.goto(f"/s/test-a/fees/invoices/{family.invoice.pk}/vnpay/")
    expect(page.locator("[data-outstanding]")).to_have_text("1.250.000 đ")
    expect(page.get_by_text("Phạm Minh Khôi")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    _shot(page, f"start-{name}")

    page.get_by_role("button", name="Thanh toán qua VNPay (thẻ, ví)").click()
    expect(page.locator("h1")).to_have_text("Cổng thanh toán VNPAY (giả lập)")
    expect(page.locator("[data-amount]")).to_have_text("1.250.000 VND")
    assert page.url.startswith(fake.url)
    _shot(page, f"checkout-{name}")

    page.get_by_role("button", name="Thanh toán", exact=True).click()
    status = page.locator("#vnpay-status")
    expect(status).to_have_attribute("data-state", "waiting")
    expect(status).to_contain_text("Đang xác nhận với VNPay")
    assert ledger_of(family.invoice) == (0, "open", ["pending"], 0)  # the return page changed nothing
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    _shot(page, f"return-waiting-{name}")

    (txn_ref,) = fake.results
    assert fake.send_ipn(txn_ref).answer["RspCode"] == "00"
    expect(page.locator("#vnpay-status")).to_have_attribute("data-state", "paid", timeout=10_000)
    expect(page.locator("#vnpay-status")).to_contain_text("Trường đã nhận 1.250.000 đ cho hoá đơn")
    assert ledger_of(family.invoice) == (1_250_000, "paid", ["paid"], 1)
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    _shot(page, f"return-paid-{name}")
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_accountant_connects_vnpay(browser, live_family, django_db_blocker, viewport):
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        vnpay_merchant_remove(actor=None)
    name, context, page = _signed_in(browser, live_family.url, "0900000011", viewport)
    page.goto("/s/test-a/fees/settings/vnpay/")
    expect(page.locator("[data-account-state]")).to_have_attribute("data-account-state", "none")
    expect(page.locator("[data-vnpay-ipn]")).to_have_text(f"{live_family.url}/hooks/vnpay/test-a/")
    page.get_by_label("Mã website (vnp_TmnCode)").fill("THCS A")
    page.get_by_label("Chuỗi bí mật (vnp_HashSecret)").fill("ngắn")
    page.get_by_role("button", name="Lưu tài khoản").click()
    expect(page.get_by_text("Mã website gồm đúng 8 chữ cái")).to_be_visible()
    assert page.get_by_label("Chuỗi bí mật (vnp_HashSecret)").input_value() == ""
    assert_no_sideways_scroll(page)
    _shot(page, f"settings-errors-{name}")

    page.get_by_label("Mã website (vnp_TmnCode)").fill("THCSA001")
    page.get_by_label("Chuỗi bí mật (vnp_HashSecret)").fill("SANDBOXSECRETOFSCHOOLA0123456789")
    page.get_by_role("button", name="Lưu tài khoản").click()
    expect(page.get_by_text("Đã lưu tài khoản VNPay của trường.")).to_be_visible()
    expect(page.locator("[data-account-state]")).to_contain_text("THCSA001")
    assert "SANDBOXSECRETOFSCHOOLA0123456789" not in page.content()
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    _shot(page, f"settings-saved-{name}")

    page.get_by_role("link", name="Ngừng nhận VNPay").click()
    expect(page.locator("h1")).to_have_text("Ngừng nhận thanh toán qua VNPay (mã website THCSA001)?")
    assert_no_sideways_scroll(page)
    _shot(page, f"settings-remove-{name}")
    page.get_by_role("button", name="Xác nhận ngừng").click()
    expect(page.locator("[data-account-state]")).to_have_attribute("data-account-state", "none")
    context.close()
