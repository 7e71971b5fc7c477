"""The login limits as a person sees them: the password login's per-address limit, and the code page's one
message for every number, on a phone and on a laptop (no sideways scrolling; screenshots in artifacts/)."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from tests.browser_checks import assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1366, "height": 900}}


@pytest.mark.parametrize("size", SIZES)
@override_settings(LOGIN_MAX_FAILURES_PER_IP=2)
def test_the_address_limit_is_a_clear_message(browser, live_server_url, size):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=SIZES[size])
    page = context.new_page()
    for phone in ("0912 345 001", "0912 345 002"):  # two numbers, one wrong password each
        page.goto("/login/")
        page.get_by_label("Số điện thoại").fill(phone)
        page.get_by_label("Mật khẩu").fill("Mat-khau-doan")
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_text("Số điện thoại hoặc mật khẩu không đúng.")).to_be_visible()
    sign_in(page, "0900000013")  # the right password, from the same address
    expect(page.get_by_text("Có quá nhiều lần đăng nhập sai từ thiết bị này.")).to_be_visible()
    assert page.url.endswith("/login/")
    assert_no_sideways_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"login-address-limit-{size}.png", full_page=True)
    context.close()


def test_a_number_without_an_account_reads_like_any_wrong_code(browser, live_server_url):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=SIZES["phone"])
    page = context.new_page()
    page.goto("/login/code/")
    page.get_by_label("Số điện thoại").fill("0987 654 399")
    page.get_by_role("button", name="Gửi mã").click()
    page.get_by_label("Mã gồm 6 chữ số").fill("123456")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text("Mã không đúng hoặc đã hết hạn. Bạn còn 4 lần thử.")).to_be_visible()
    assert_no_sideways_scroll(page)
    page.screenshot(path=ARTIFACTS / "code-wrong-phone.png", full_page=True)
    context.close()
