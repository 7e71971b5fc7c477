"""In a real browser: the school admin adds a student with a guardian, fixes the guardian's mistyped phone
from the profile, and removes a teacher who left after reading what the removal releases. Every page is
screenshotted on a laptop (1366×900) and a phone (390×844) and must not scroll sideways on the phone."""

import random
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
    StudentGuardian,
)
from students.services import staff_add
from tenants.models import School, SchoolAffiliation
from tests.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _mobile() -> str:
    return "0916" + "".join(random.choices("0123456789", k=6))


@pytest.fixture
def committed(django_db_blocker):
    """Committed (the live server must see it): a class whose homeroom teacher is a teacher who will leave.
    Every school row made here or by the test is removed afterwards (public users stay, see
    tests/attendance/leave/test_leave_browser.py)."""
    tag = uuid4().hex[:6]
    phones = {"teacher": _mobile(), "wrong": _mobile(), "right": _mobile()}
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        admin = school.affiliations.get(user__phone="+84900000011").user
        with schema_context(school.schema_name):
            first_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            teacher = staff_add(actor=admin, school=school, phone=phones["teacher"],
                                full_name="Cao Thị Rời", roles=["teacher"])  # fmt: skip
            school_class = SchoolClass.objects.create(
                name=f"6P-{tag}", grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True), homeroom_teacher=teacher,
            )  # fmt: skip
    yield {"tag": tag, "class": school_class, "teacher": teacher, "phones": phones}
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            students = Student.objects.filter(student_code=f"PB-{tag}")
            guardians = list(Guardian.objects.filter(student_links__student__in=students).distinct())
            guardians += list(Guardian.objects.filter(phone__endswith=phones["wrong"][1:]))
            users = [g.user_id for g in guardians if g.user_id] + [teacher.user_id]
            StudentGuardian.objects.filter(student__in=students).delete()
            Guardian.objects.filter(pk__in=[g.pk for g in guardians]).delete()
            Enrolment.objects.filter(student__in=students).delete()
            students.delete()
            school_class.delete()
            StaffMember.objects.filter(pk=teacher.pk).delete()
            AuditEvent.objects.filter(pk__gt=first_event).delete()
        SchoolAffiliation.objects.filter(user_id__in=users, school=school).delete()


def _shoot(page, name, sizes=(LAPTOP, PHONE)):
    """Screenshots at each size; on the phone nothing may be wider than the screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    for size in sizes:
        page.set_viewport_size(size)
        label = "phone" if size is PHONE else "laptop"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
        if size is PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    page.set_viewport_size(LAPTOP)


def test_admin_adds_a_student_fixes_a_phone_and_removes_a_teacher(browser, live_server_url, committed):
    tag, phones = committed["tag"], committed["phones"]
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, "0900000011")
    expect(page.locator("h1").first).to_be_visible()

    page.goto("/s/test-a/students/")
    page.get_by_role("link", name="Thêm học sinh").click()
    page.get_by_label("Mã học sinh").fill(f"PB-{tag}")
    page.get_by_label("Họ và tên").fill("Lý Minh Khôi")
    page.get_by_label("Ngày sinh").fill("2015-09-12")
    page.get_by_label("Giới tính").select_option("male")
    page.locator("#id_school_class").select_option(label=committed["class"].name)
    page.get_by_label("Họ tên phụ huynh").fill("Lý Văn Tâm")
    page.get_by_label("Số điện thoại phụ huynh").fill(phones["wrong"])
    page.get_by_label("Quan hệ với học sinh").select_option("father")
    _shoot(page, "people-student-add")
    page.get_by_role("button", name="Thêm học sinh").click()
    expect(page.locator(".flash")).to_contain_text(
        f"Đã thêm học sinh Lý Minh Khôi vào lớp {committed['class'].name}."
    )

    # The father's number was mistyped: fix it from the profile.
    page.locator("tr.guardian").get_by_role("link", name="Sửa").click()
    page.get_by_label("Số điện thoại").fill(phones["right"])
    _shoot(page, "people-guardian-edit", sizes=(PHONE,))
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash")).to_contain_text("Đã lưu thông tin phụ huynh Lý Văn Tâm")
    expect(page.locator("tr.guardian")).to_contain_text(phones["right"][:4])
    _shoot(page, "people-student-profile")
    page.get_by_role("link", name="Nghỉ học…").click()
    expect(page.locator("h1")).to_contain_text("Lý Minh Khôi nghỉ học")
    _shoot(page, "people-student-withdraw", sizes=(PHONE,))

    # A teacher leaves: the removal says what it releases, then access ends.
    page.goto("/s/test-a/staff/?q=Cao Thị Rời")
    page.get_by_role("link", name="Cao Thị Rời").click()
    _shoot(page, "people-staff-edit")
    page.get_by_role("link", name="Rời trường…").click()
    expect(page.locator("li.duty")).to_contain_text(committed["class"].name)
    _shoot(page, "people-staff-remove")
    page.get_by_role("button", name="Xác nhận rời trường").click()
    expect(page.locator(".flash")).to_contain_text(
        f"Cao Thị Rời đã rời trường. Hãy giao lại: {committed['class'].name}."
    )
    context.close()
