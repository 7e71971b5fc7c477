"""The roll call in a real browser on a phone-sized screen: the homeroom teacher opens today's page, opens the
morning roll call of their class, taps two students, saves without a page reload and sees the summary; the two
guardians get their alert."""

from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from attendance.models import AbsenceAlert, RollCall
from messaging.models import Message
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
from tests.conftest import ARTIFACTS, sign_in
from tests.factories import guardian_link, student_enrol

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def roll_call_world(django_db_blocker):
    """Committed (the live server must see it): a class of school A whose homeroom teacher is Vũ Giáo Viên,
    with three students, each with a guardian. Every row made here is removed afterwards."""
    from tenants.models import School

    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            school_class = SchoolClass.objects.create(
                name=f"6R-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=year,
                homeroom_teacher=StaffMember.objects.get(user__phone="+84900000013"),
            )
            names = ["Đặng Minh An", "Đặng Minh Bình", "Lê Thu Cúc"]
            students = [student_enrol(f"RCB-{tag}-{n}", school_class, name) for n, name in enumerate(names)]
            guardians = [
                guardian_link(student, f"0913{tag_digits(tag)}{n}") for n, student in enumerate(students)
            ]
    yield school_class, students, guardians
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        Message.objects.filter(phone__in=[g.phone for g in guardians]).delete()
        AbsenceAlert.objects.filter(student__in=students).delete()
        roll_calls = RollCall.objects.filter(school_class=school_class)
        AuditEvent.objects.filter(
            object_type="attendance.rollcall",
            object_id__in=[str(pk) for pk in roll_calls.values_list("pk", flat=True)],
        ).delete()
        roll_calls.delete()
        StudentGuardian.objects.filter(student__in=students).delete()
        Guardian.objects.filter(pk__in=[g.pk for g in guardians]).delete()
        Enrolment.objects.filter(student__in=students).delete()
        Student.objects.filter(pk__in=[s.pk for s in students]).delete()
        school_class.delete()


def tag_digits(tag: str) -> str:
    """Five digits from the tag, so each run's guardian phones are new."""
    return str(int(tag, 16) % 100000).zfill(5)


def test_teacher_takes_the_roll_call_on_a_phone(browser, live_server_url, roll_call_world, django_db_blocker):
    school_class, (an, binh, _cuc), guardians = roll_call_world
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    sign_in(page, "0900000013")
    expect(page.locator("h1").first).to_be_visible()

    page.goto("/s/test-a/")
    page.get_by_role("link", name="Điểm danh").click()
    row = page.locator(".rc-class", has_text=school_class.name)
    expect(row).to_contain_text("Chưa điểm danh")
    row.get_by_role("link", name="Buổi sáng").click()
    expect(page.locator("h1")).to_have_text(f"Lớp {school_class.name}")

    page.evaluate("window.notReloaded = true")  # gone if the save reloaded the page
    page.locator(".rc-row", has_text=an.full_name).get_by_role("radio", name="Vắng K").click()
    page.locator(".rc-row", has_text=binh.full_name).get_by_role("radio", name="Vắng P").click()
    page.get_by_role("button", name="Lưu điểm danh").click()

    status = page.locator(".rc-saved")
    expect(status).to_contain_text("· 2 vắng")
    assert page.evaluate("window.notReloaded") is True
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        roll_call = RollCall.objects.get(school_class=school_class)
        saved_at = timezone.localtime(roll_call.updated_at).strftime("%H:%M")
        assert dict(roll_call.marks.values_list("student_id", "mark")) == {an.pk: "K", binh.pk: "P"}
        assert set(Message.objects.filter(purpose="absence").values_list("phone", flat=True)) >= {
            guardians[0].phone,
            guardians[1].phone,
        }
        assert not Message.objects.filter(phone=guardians[2].phone).exists()
    expect(status).to_have_text(f"Đã lưu lúc {saved_at} · 2 vắng")
    expect(page.locator(".rc-row", has_text=an.full_name).locator('input[value="K"]')).to_be_checked()
    # The page fits the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "roll-call-phone.png"), full_page=True)
    context.close()
