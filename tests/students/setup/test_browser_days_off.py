"""A new school's admin sets the year's days off in a real browser, on a laptop then on a phone: the empty
state's next step, the national holidays previewed then added, Tết added as a range, an overlap refused with
the clash named, a range edited and a holiday removed after a confirmation; then, on a day off, the
attendance pages say so and list no class as missing its roll call. Every page fits the screen and passes
axe's WCAG 2.1 AA checks. Screenshots go to artifacts/."""

import datetime

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from students.models import DayOff
from tests.browser_checks import look
from tests.conftest import sign_in
from tests.students.setup import test_browser_setup

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}

new_school = test_browser_setup.new_school  # a freshly onboarded school, shared rather than copied


def _look(page, name):
    look(page, f"days-off-{name}")


def test_the_admin_sets_the_years_days_off_and_the_attendance_pages_follow(
    browser, live_server_url, new_school, django_db_blocker
):
    school, admin_phone = new_school
    home = f"/s/{school.code}/"
    today = timezone.localdate()
    laptop = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = laptop.new_page()
    sign_in(page, admin_phone)

    # From the years page to the year's days off: none yet, and the next step offered.
    page.goto(home + "years/")
    page.get_by_role("link", name="Thêm ngày nghỉ").click()
    expect(page.locator("h1")).to_contain_text("Ngày nghỉ năm học")
    expect(page.get_by_text("Năm học chưa có ngày nghỉ nào")).to_be_visible()
    _look(page, "empty")

    # The fixed-date holidays: a preview, then added.
    page.get_by_role("link", name="Xem các ngày lễ sẽ thêm").click()
    expect(page.locator("#confirm")).to_contain_text("Tết Dương lịch")
    expect(page.locator("#confirm")).to_contain_text("1/9 hoặc 3/9")
    _look(page, "holidays-preview")
    page.get_by_role("button", name="ngày lễ").click()
    expect(page.locator(".flash")).to_contain_text("Đã thêm")
    expect(page.locator('tr[data-day-off="Tết Dương lịch"]')).to_be_visible()

    # Tết as a range; an overlapping break is refused with the clash named.
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        year = DayOff.objects.select_related("year").first().year
    tet_first = datetime.date(year.ends_on.year, 2, 3)
    page.get_by_label("Tên ngày nghỉ").fill("Nghỉ Tết Nguyên đán")
    page.get_by_label("Từ ngày").fill(tet_first.isoformat())
    page.get_by_label("Đến ngày").fill((tet_first + datetime.timedelta(days=9)).isoformat())
    page.get_by_role("button", name="Thêm ngày nghỉ").click()
    expect(page.locator('tr[data-day-off="Nghỉ Tết Nguyên đán"]')).to_be_visible()
    page.get_by_label("Tên ngày nghỉ").fill("Nghỉ giữa học kỳ II")
    page.get_by_label("Từ ngày").fill((tet_first + datetime.timedelta(days=5)).isoformat())
    page.get_by_role("button", name="Thêm ngày nghỉ").click()
    expect(page.locator(".field-error")).to_contain_text("Trùng với ngày nghỉ “Nghỉ Tết Nguyên đán”")
    _look(page, "overlap")
    laptop.close()

    # On a phone: edit the Tết range, remove a holiday after the confirmation, add a break covering today.
    phone = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    sign_in(page, admin_phone)
    page.goto(f"{home}years/{year.pk}/days-off/")
    _look(page, "list")
    page.locator('tr[data-day-off="Nghỉ Tết Nguyên đán"]').get_by_role("link", name="Sửa").click()
    page.get_by_label("Đến ngày").fill((tet_first + datetime.timedelta(days=7)).isoformat())
    _look(page, "edit")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu ngày nghỉ “Nghỉ Tết Nguyên đán”")
    page.locator('tr[data-day-off="Ngày Chiến thắng"]').get_by_role("link", name="Xoá").click()
    expect(page.locator("#confirm")).to_contain_text("trở lại là ngày học")
    _look(page, "remove")
    page.get_by_role("button", name="Xác nhận xoá ngày nghỉ").click()
    expect(page.locator('tr[data-day-off="Ngày Chiến thắng"]')).to_have_count(0)
    if year.starts_on <= today <= year.ends_on:
        page.get_by_label("Tên ngày nghỉ").fill("Nghỉ giữa học kỳ I")
        page.get_by_label("Từ ngày").fill(today.isoformat())
        page.get_by_role("button", name="Thêm ngày nghỉ").click()
        expect(page.locator('tr[data-day-off="Nghỉ giữa học kỳ I"]')).to_be_visible()
        page.goto(f"{home}attendance/stats/")
        expect(page.locator("[data-day-off]")).to_contain_text("Trường nghỉ ngày này: Nghỉ giữa học kỳ I")
        _look(page, "stats-day")
        page.goto(f"{home}attendance/")
        expect(page.locator("[data-day-off]")).to_contain_text("Hôm nay trường nghỉ: Nghỉ giữa học kỳ I.")
        _look(page, "roll-calls")
    phone.close()

    with django_db_blocker.unblock(), schema_context(school.schema_name):
        tet = DayOff.objects.get(name="Nghỉ Tết Nguyên đán")
        assert (tet.first_day, tet.last_day) == (tet_first, tet_first + datetime.timedelta(days=7))
        assert not DayOff.objects.filter(name="Ngày Chiến thắng").exists()
