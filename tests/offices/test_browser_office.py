"""An education office's journey in a real browser: its specialist signs in (laptop), lands on the office's
schools, sorts them by attendance, asks every school for its start-of-year statistics after a preview;
school A's admin (phone) finds the request on the school's home, checks the figures computed from the
school's data and submits them; the specialist returns the report with a comment, which the school then
reads. Every page fits the screen and passes axe's WCAG 2.1 AA checks. Screenshots go to artifacts/."""

import datetime
from uuid import uuid4

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from offices.models import EducationOffice, OfficeSchool, OfficeStaff, SchoolSummary
from tenants.models import School
from tests.browser_checks import look
from tests.conftest import sign_in, with_password

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def office(django_db_setup, django_db_blocker):
    """Committed (the live server reads it; so no `world`, whose test transaction it could not see): an
    office covering schools A and B, each with a summary, and a specialist who signs in with a password.
    Removed afterwards."""
    with django_db_blocker.unblock():
        schools = list(School.objects.filter(code__in=["test-a", "test-b"]).order_by("code"))
        office = EducationOffice.objects.create(
            code=f"phong-{uuid4().hex[:6]}", name="Phòng GD&ĐT Thử Nghiệm", kind="province", province="Hà Nội"
        )
        now = timezone.now()
        for school, present in zip(schools, (342, 297), strict=True):
            OfficeSchool.objects.create(office=office, school=school)
            SchoolSummary.objects.update_or_create(school=school, defaults=dict(
                day=timezone.localdate(), refreshed_at=now, students=400, classes=10, roll_calls_due=10,
                roll_calls_taken=9, marked=360, present=present, grades_expected=4000, grades_entered=3100,
                notices_sent=4, notice_recipients=800, notice_reached=612, leave_pending=3, leave_recent=21,
                fees_due=400_000_000, fees_paid=310_000_000,
            ))  # fmt: skip
        specialist = with_password(
            User.objects.create_user(f"091{uuid4().int % 10**7:07d}", full_name="Đỗ Thu Hà")
        )
        OfficeStaff.objects.create(office=office, user=specialist)
    yield office, "0" + specialist.phone[3:]
    with django_db_blocker.unblock():
        office.delete()  # its staff, requests and submissions with it; the user stays (a unique phone):
        SchoolSummary.objects.filter(school__in=schools).delete()  # deleting one reaches into school schemas


def _look(page, name):
    look(page, f"office-{name}")


def test_an_office_asks_a_school_answers_the_office_returns_it(browser, live_server_url, office):
    office, specialist_phone = office
    contexts = []

    def new_page(viewport):
        contexts.append(browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport))
        return contexts[-1].new_page()

    laptop = new_page(LAPTOP)
    sign_in(laptop, specialist_phone)
    expect(laptop.locator("h1")).to_have_text(office.name)  # straight to the office after signing in
    expect(laptop.locator("tr[data-code]")).to_have_count(2)
    laptop.get_by_role("link", name="Chuyên cần").click()  # the lowest attendance first: B's 82.5 %
    expect(laptop.locator("tr[data-code]").first).to_have_attribute("data-code", "test-b")
    laptop.get_by_role("link", name="Chuyên cần ↑").click()  # the second click: the highest first
    expect(laptop.locator("tr[data-code]").first).to_have_attribute("data-code", "test-a")
    _look(laptop, "schools")
    phone_view = new_page(PHONE)
    sign_in(phone_view, specialist_phone)
    _look(phone_view, "schools")

    laptop.get_by_role("link", name="Yêu cầu báo cáo").click()
    laptop.get_by_role("link", name="+ Yêu cầu mới").click()
    laptop.get_by_label("Tiêu đề").fill("Thống kê đầu năm học 2026–2027")
    laptop.get_by_label("Loại báo cáo").select_option("statistics")
    deadline = timezone.localdate() + datetime.timedelta(days=10)
    laptop.get_by_label("Hạn nộp").fill(deadline.isoformat())
    _look(laptop, "request-new")
    laptop.get_by_role("button", name="Xem trước").click()
    expect(laptop.get_by_text("sẽ gửi tới 2 trường")).to_be_visible()
    _look(laptop, "request-preview")
    laptop.get_by_role("button", name="Gửi yêu cầu").click()
    expect(laptop.get_by_text("Đã gửi yêu cầu tới 2 trường.")).to_be_visible()
    _look(laptop, "request-sent")
    request_url = laptop.url

    school = new_page(PHONE)
    sign_in(school, "0900000011")  # school A's admin
    school.goto(f"/s/{'test-a'}/")
    due = school.locator("#reports-due")
    expect(due).to_contain_text("Thống kê đầu năm học 2026–2027")
    due.get_by_role("link", name="Thống kê đầu năm học 2026–2027").click()
    expect(school.get_by_label("Số lớp")).to_have_value("0")  # the committed school A has no class
    _look(school, "school-fill")
    school.get_by_role("button", name="Lưu số liệu").click()
    school.get_by_role("button", name="Nộp báo cáo").click()
    _look(school, "school-submit-preview")
    school.get_by_role("button", name="Nộp báo cáo").click()
    expect(school.get_by_text("Đã nộp, chờ duyệt")).to_be_visible()

    laptop.goto(request_url)
    laptop.locator(f'tr[data-code="{"test-a"}"]').get_by_role("link", name="Xem").click()
    laptop.get_by_label("Nhận xét gửi trường").fill("Thiếu số học sinh nữ của khối 6.")
    _look(laptop, "submission")
    laptop.get_by_role("button", name="Trả lại để sửa").click()
    expect(laptop.get_by_text("Đã ghi quyết định")).to_be_visible()

    school.reload()
    expect(school.get_by_text("Thiếu số học sinh nữ của khối 6.")).to_be_visible()
    _look(school, "school-returned")
    for context in contexts:  # an open page keeps a server thread, and its database connection, alive
        context.close()
