"""A transfer between two schools in a real browser: A's admin finds school B by name on
the student's profile and sends the request (on a phone); B's admin sees it on the home page, opens it and
accepts into a class (on a laptop); A's profile then shows the outcome. Every page fits the screen.
Screenshots go to artifacts/."""

import random
from datetime import timedelta
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from schoolbook.onboarding import school_onboard
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, Student, StudentGuardian
from tests.browser_checks import look
from tests.conftest import TEST_PASSWORD, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _free_phone() -> str:
    while True:
        national = "097" + "".join(random.choices("0123456789", k=7))
        if not User.objects.filter(phone="+84" + national[1:]).exists():
            return national


def _school(name, class_name):
    """A fresh school (its own schema) whose admin can sign in, with one class of the current year."""
    admin_phone = _free_phone()
    school = school_onboard(actor=User.objects.get(phone="+84900000001"), data={
        "code": f"tr-{uuid4().hex[:6]}", "name": name, "levels": ["lower_secondary"], "province": "Huế",
        "admin_phone": admin_phone, "admin_name": f"Quản trị {name[-7:]}",
    })  # fmt: skip
    admin = User.objects.get(phone="+84" + admin_phone[1:])
    admin.set_password(TEST_PASSWORD)
    admin.save(update_fields=["password"])
    with schema_context(school.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        school_class = SchoolClass.objects.create(
            name=class_name, grade=GradeLevel.objects.get(number=6), year=year
        )
    return school, admin_phone, school_class


@pytest.fixture
def two_schools(django_db_blocker):
    with django_db_blocker.unblock():
        a, a_phone, a_class = _school("Trường THCS Lê Lợi", "6A1")
        b, b_phone, b_class = _school(f"Trường THCS Chu Văn An {uuid4().hex[:4]}", "6C3")
        with schema_context(a.schema_name):
            student = Student.objects.create(
                student_code="LL-0042", full_name="Phạm Minh Khôi", date_of_birth="2014-03-02", gender="male"
            )
            Enrolment.objects.create(
                student=student, school_class=a_class, starts_on=timezone.localdate() - timedelta(days=30)
            )
            guardian = Guardian.objects.create(phone="+84" + _free_phone()[1:], full_name="Trần Thị Mai")
            StudentGuardian.objects.create(
                student=student, guardian=guardian, relationship="mother", is_primary_contact=True
            )
    return a, a_phone, b, b_phone, b_class, student


def _look(page, name):
    look(page, f"transfer-{name}", accessible=False)


def test_a_asks_b_accepts(browser, live_server_url, two_schools):
    a, a_phone, b, b_phone, b_class, student = two_schools
    profile = f"/s/{a.code}/students/{student.pk}/"

    contexts = []

    def new_page(viewport):
        contexts.append(browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport))
        return contexts[-1].new_page()

    phone = new_page(PHONE)
    sign_in(phone, a_phone)
    phone.goto(profile + "#transfer")
    card = phone.locator("#transfer")
    card.get_by_label("Tìm trường chuyển đến").fill(b.name.split()[-1])  # the name's unique tail
    card.get_by_role("button", name="Tìm trường").click()
    card = phone.locator("#transfer")
    card.get_by_role("combobox", name="Trường chuyển đến").select_option(str(b.pk))
    card.get_by_label("Lý do chuyển trường").fill("Gia đình chuyển vào Huế")
    _look(phone, "request-form")
    card.get_by_role("button", name="Gửi yêu cầu chuyển trường").click()
    expect(phone.locator(".transfer-status [data-status=pending]")).to_be_visible()
    _look(phone, "pending")

    for viewport, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
        page = new_page(viewport)
        sign_in(page, b_phone)
        page.goto(f"/s/{b.code}/")
        incoming = page.locator("#incoming-transfers")
        expect(incoming).to_contain_text("Phạm Minh Khôi")
        _look(page, f"b-home-{name}")
        incoming.get_by_role("link", name="Phạm Minh Khôi").click()
        expect(page.locator("h1")).to_have_text("Phạm Minh Khôi")
        _look(page, f"b-detail-{name}")
    page.get_by_label("Xếp vào lớp").select_option(str(b_class.pk))
    page.get_by_label("Mã học sinh ở trường").fill("CVA-0101")
    page.get_by_role("button", name="Nhận vào lớp đã chọn").click()
    expect(page.locator("h1")).to_have_text("Phạm Minh Khôi")
    expect(page.get_by_text("Đã nhận Phạm Minh Khôi vào lớp 6C3")).to_be_visible()

    phone.goto(profile)
    expect(phone.locator(".transfer-status [data-status=accepted]")).to_be_visible()
    expect(phone.locator("body")).not_to_contain_text("CVA-0101")
    _look(phone, "accepted")
    for context in contexts:  # an open page keeps a server thread, and its database connection, alive
        context.close()
