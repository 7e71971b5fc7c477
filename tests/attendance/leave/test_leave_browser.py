"""In a real browser on a phone-sized screen: a parent asks for a day off with a photo of the doctor's note,
the homeroom teacher opens it from their list, sees the photo and approves with a comment, and the parent
sees the decision (and got one message)."""

import random
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from attendance.models import LeaveRequest
from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.attendance.leave.test_leave import PNG, SITE
from tests.conftest import ARTIFACTS, sign_in, with_password
from tests.factories import guardian_link, student_enrol

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def family(django_db_blocker, settings, tmp_path):
    """Committed (the live server must see it): a class of the usual teacher with one student whose parent
    can sign in. Every row made here is removed afterwards (the parent's account stays: deleting a public
    user would make Django look for its rows in school tables that public does not have)."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        phone = "0916" + "".join(random.choices("0123456789", k=6))
        parent = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Xin Nghỉ"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            school_class = SchoolClass.objects.create(
                name=f"6L-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
                homeroom_teacher=StaffMember.objects.get(user__phone="+84900000013"),
            )
            child = student_enrol(f"LB-{tag}", school_class, "Đặng Thu Hà")
            guardian = guardian_link(child, phone, full_name=parent.full_name, user=parent)
    yield parent, child
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            leaves = LeaveRequest.objects.filter(student=child)
            ids = list(leaves.values_list("pk", flat=True))
            Message.objects.filter(reference__in=[f"leave:{pk}" for pk in ids]).delete()
            AuditEvent.objects.filter(
                object_type="attendance.leaverequest", object_id__in=[str(pk) for pk in ids]
            ).delete()
            leaves.delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student=child).delete()
            Student.objects.filter(pk=child.pk).delete()
            school_class.delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _sign_in(browser, live_server_url, phone):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE)
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_a_parent_asks_on_a_phone_and_the_teacher_approves(
    browser, live_server_url, family, tmp_path, django_db_blocker
):
    parent, child = family
    today = timezone.localdate().isoformat()
    note = tmp_path / "giay-kham.png"
    note.write_bytes(PNG)

    context, page = _sign_in(browser, live_server_url, parent.phone)
    page.goto(f"/s/test-a/attendance/leave/new/?student={child.pk}")
    page.get_by_label("Từ ngày").fill(today)
    page.get_by_label("Đến ngày").fill(today)
    page.get_by_label("Buổi sáng").check()
    page.get_by_label("Lý do").fill("Con bị sốt, đi khám.")
    page.get_by_label("Ảnh giấy khám bệnh hoặc giấy tờ liên quan").set_input_files(str(note))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "leave-request-phone.png"), full_page=True)
    page.get_by_role("button", name="Gửi đơn").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi đơn xin nghỉ.")
    expect(page.locator("li.leave")).to_contain_text("Chờ giáo viên chủ nhiệm duyệt")
    # Nothing wider than the phone: no sideways scrolling for the parent.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()

    context, page = _sign_in(browser, live_server_url, "0900000013")
    page.goto("/s/test-a/attendance/leave/")
    page.get_by_role("link", name="Đặng Thu Hà").click()
    expect(page.locator("h1")).to_contain_text("Đơn xin nghỉ của Đặng Thu Hà")
    photo = context.request.get(page.get_by_role("link", name="Xem ảnh / tệp đính kèm").get_attribute("href"))
    assert photo.status == 200 and photo.headers["content-type"] == "image/png" and photo.body() == PNG
    page.get_by_label("Ý kiến").fill("Cô đã biết, chúc con mau khỏe.")
    page.screenshot(path=str(ARTIFACTS / "leave-teacher-phone.png"), full_page=True)
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(page.locator(".flash")).to_contain_text("Đã duyệt đơn của Đặng Thu Hà")
    context.close()

    context, page = _sign_in(browser, live_server_url, parent.phone)
    page.goto("/s/test-a/attendance/leave/mine/")
    expect(page.locator("li.leave")).to_contain_text("Đã duyệt")
    expect(page.locator("li.leave")).to_contain_text("Cô đã biết, chúc con mau khỏe.")
    page.screenshot(path=str(ARTIFACTS / "leave-decided-phone.png"), full_page=True)
    context.close()
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        leave = LeaveRequest.objects.get(student=child)
        assert leave.status == "approved" and leave.attachment
        [message] = Message.objects.filter(reference=f"leave:{leave.pk}")
        assert "đã được duyệt" in message.body and "Cô đã biết, chúc con mau khỏe." in message.body
