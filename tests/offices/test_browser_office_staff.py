"""An office head manages the office's staff in a real browser, on a phone and a laptop: finds the page in
the office's navigation, adds a specialist (a wrong number first: the error is on the field), then removes
them after the confirmation page. Every page fits the screen and passes axe's WCAG 2.1 AA checks.
Screenshots go to artifacts/."""

from uuid import uuid4

import pytest
from playwright.sync_api import expect

from accounts.models import User
from offices.models import EducationOffice, OfficeStaff
from tests.browser_checks import look
from tests.conftest import sign_in, unused_mobile, with_password

pytestmark = pytest.mark.browser
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


@pytest.fixture
def office(django_db_setup, django_db_blocker):
    """Committed (the live server reads it): an office and its head, who signs in with a password.
    Removed afterwards with the seats; the users stay (unique phones)."""
    with django_db_blocker.unblock():
        office = EducationOffice.objects.create(
            code=f"phong-{uuid4().hex[:6]}", name="Phòng GD&ĐT Thử Nghiệm", kind="province", province="Hà Nội"
        )
        head = with_password(
            User.objects.create_user(f"091{uuid4().int % 10**7:07d}", full_name="Nguyễn Thị Trưởng Phòng")
        )
        OfficeStaff.objects.create(office=office, user=head, role="head")
    yield office, "0" + head.phone[3:]
    with django_db_blocker.unblock():
        office.delete()


def _look(page, name):
    look(page, f"office-staff-{name}")


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_head_adds_and_removes_a_specialist(
    browser, live_server_url, office, django_db_blocker, viewport
):
    office, head_phone = office
    specialist_phone = unused_mobile(django_db_blocker)
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=VIEWPORTS[viewport])
    page = context.new_page()
    sign_in(page, head_phone)
    expect(page.locator("h1")).to_have_text(office.name)
    page.get_by_role("link", name="Cán bộ", exact=True).click()
    expect(page.get_by_text("Đơn vị chưa có chuyên viên nào.")).to_be_visible()
    _look(page, "empty")

    page.get_by_label("Họ tên").fill("Trần Văn Chuyên")
    page.get_by_label("Số điện thoại").fill("0123")
    page.get_by_role("button", name="Thêm chuyên viên").click()
    expect(page.locator(".field-error")).to_be_visible()
    _look(page, "error")
    page.get_by_label("Số điện thoại").fill(specialist_phone)
    page.get_by_role("button", name="Thêm chuyên viên").click()
    expect(page.get_by_text("Đã thêm Trần Văn Chuyên.")).to_be_visible()
    row = page.locator("tr[data-seat]", has_text="Trần Văn Chuyên")
    expect(row).to_contain_text("Chưa thiết lập")
    _look(page, "list")

    row.get_by_role("link", name="Gỡ").click()
    expect(page.locator("h1")).to_have_text("Gỡ Trần Văn Chuyên khỏi đơn vị?")
    _look(page, "confirm")
    page.get_by_role("button", name="Gỡ khỏi đơn vị").click()
    expect(page.get_by_text("Đã gỡ Trần Văn Chuyên khỏi đơn vị.")).to_be_visible()
    expect(page.locator("tr[data-seat]")).to_have_count(1)
    _look(page, "removed")
    context.close()
