"""End to end in a real browser: the platform admin onboards a school, its admin gets a code by SMS (through
the real Celery worker), sets a password and lands on the school's home page."""

from uuid import uuid4

import pytest
from playwright.sync_api import expect

from schoolbook.phones import normalize_phone
from tests.conftest import ARTIFACTS, TEST_PASSWORD, sent_code, sign_in, unused_mobile

pytestmark = pytest.mark.browser


def test_onboarded_school_admin_signs_in_with_a_code(
    browser, live_server_url, celery_worker, django_db_blocker, sent_to
):
    ARTIFACTS.mkdir(exist_ok=True)
    code = f"br-{uuid4().hex[:8]}"
    name = f"Trường Tiểu học Hướng Dương {code[3:]}"
    phone = unused_mobile(django_db_blocker)  # "09xxxxxxxx"
    e164 = normalize_phone(phone).e164
    sent_to.append(e164)

    # 1. The platform admin onboards the school from the console.
    console = browser.new_context(base_url=live_server_url, locale="vi-VN")
    page = console.new_page()
    sign_in(page, "0900000001")
    expect(page).to_have_url(f"{live_server_url}/console/")
    page.get_by_role("link", name="+ Thêm trường").click()
    page.get_by_label("Mã trường").fill(code)
    page.get_by_label("Tên trường").fill(name)
    page.get_by_label("Tiểu học").check()
    page.get_by_label("Tỉnh/thành phố").fill("Đà Nẵng")
    page.get_by_label("Họ tên quản trị trường").fill("Nguyễn Thị Ánh")
    page.get_by_label("Số điện thoại quản trị trường").fill(phone)
    page.get_by_role("button", name="Tạo trường").click()
    expect(page).to_have_url(f"{live_server_url}/console/")
    expect(page.locator(".flash li.success")).to_contain_text(f"Đã tạo trường “{name}”")
    page.screenshot(path=ARTIFACTS / "console-onboarded.png", full_page=True)
    # Found by the search box, so the check does not depend on how many schools page 1 holds.
    page.get_by_role("searchbox", name="Tìm trường").fill(code)
    page.get_by_role("button", name="Lọc").click()
    row = page.locator(f"tr[data-code='{code}']")
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Tiểu học")
    expect(row.locator("td.num")).to_have_text("1")  # the school admin
    console.close()

    # 2. The school's admin (a new person, fresh browser) asks for a code, typing the number differently.
    admin = browser.new_context(base_url=live_server_url, locale="vi-VN")
    page = admin.new_page()
    page.goto("/login/")
    page.get_by_role("link", name="Nhận mã qua tin nhắn").click()
    page.get_by_label("Số điện thoại").fill(f"+84 {phone[1:4]} {phone[4:7]} {phone[7:]}")
    page.get_by_role("button", name="Gửi mã").click()
    expect(page.get_by_role("heading", name="Nhập mã xác thực")).to_be_visible()
    expect(page.locator("strong")).to_contain_text(phone[-3:])
    page.get_by_label("Mã gồm 6 chữ số").fill(sent_code(django_db_blocker, e164))
    page.get_by_role("button", name="Xác nhận").click()
    page.get_by_label("Mật khẩu mới").fill(TEST_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Lưu mật khẩu và đăng nhập").click()
    expect(page).to_have_url(f"{live_server_url}/s/{code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text("Quản trị trường").first).to_be_visible()
    expect(page.locator("[data-figure=staff-total]")).to_have_text("1")
    page.screenshot(path=ARTIFACTS / "school-home.png", full_page=True)

    # 3. Another school is not there for them.
    response = page.goto("/s/test-b/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Thử Nghiệm B")  # nor whether it exists
    expect(page.locator("a[href^='/s/test-b/']")).to_have_count(0)
    admin.close()

    # 4. The login page on a phone.
    phone_context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport={"width": 390, "height": 844}
    )
    page = phone_context.new_page()
    page.goto("/login/")
    page.screenshot(path=ARTIFACTS / "login-phone.png", full_page=True)
    phone_context.close()
