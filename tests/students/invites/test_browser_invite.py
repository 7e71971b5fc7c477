"""Mời phụ huynh in a real browser (laptop and phone): the admin sees whom and what it costs, confirms, and
each guardian gets one message. Screenshots for docs/screenshots/."""

import random
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from messaging.models import Message
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    Guardian,
    GuardianInvite,
    SchoolClass,
    SchoolYear,
    Student,
    StudentStatus,
)
from tenants.models import School
from tests.conftest import ARTIFACTS, WORLD_CHILD_A, sign_in
from tests.factories import guardian_link, student_enrol

pytestmark = pytest.mark.browser


def _phone() -> str:
    """A fresh mobile number, national form, that no guardian of the school has."""
    while True:
        national = "0918" + "".join(random.choices("0123456789", k=6))
        if not Guardian.objects.filter(phone=f"+84{national[1:]}").exists():
            return national


@pytest.fixture
def invite_world(django_db_blocker):
    """Committed (the live server must see it): a class of school A with three children, each with a
    guardian never invited. Removed afterwards."""
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        schema = School.objects.get(code="test-a").schema_name
        with schema_context(schema):
            school_class = SchoolClass.objects.create(
                name=f"6I-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
            )
            names = ["Nguyễn Thị Hoa", "Trần Văn Minh", "Lê Thị Lan"]
            students = [student_enrol(f"INV-{tag}-{n}", school_class, name) for n, name in enumerate(names)]
            guardians = [
                guardian_link(s, _phone(), full_name=f"Phụ huynh em {s.full_name}") for s in students
            ]
            # The session world's child (tests.conftest) is left out of the count, and put back afterwards.
            world_child = Student.objects.filter(student_code=WORLD_CHILD_A[0])
            world_child.update(status=StudentStatus.TRANSFERRED)
    yield guardians
    with django_db_blocker.unblock(), schema_context(schema):
        Message.objects.filter(phone__in=[g.phone for g in guardians]).delete()
        GuardianInvite.objects.filter(guardian__in=guardians).delete()
        AuditEvent.objects.filter(action="guardians.invite").delete()
        Enrolment.objects.filter(student__in=students).delete()
        Guardian.objects.filter(pk__in=[g.pk for g in guardians]).delete()
        Student.objects.filter(pk__in=[s.pk for s in students]).delete()
        school_class.delete()
        world_child.update(status=StudentStatus.STUDYING)


def test_admin_invites_parents_after_the_preview(browser, live_server_url, invite_world, django_db_blocker):
    context = browser.new_context(
        base_url=live_server_url, locale="vi-VN", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    sign_in(page, "0900000011")
    page.goto("/s/test-a/guardians/invite/")
    confirm = page.locator("#confirm")
    expect(confirm).to_contain_text("Sẽ gửi lời mời cho 3 phụ huynh, mỗi người một tin nhắn.")
    expect(confirm).to_contain_text("Chi phí SMS ước tính")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "parent-invite.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.screenshot(path=ARTIFACTS / "parent-invite-phone.png", full_page=True)

    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi lời mời cho 3 phụ huynh.")
    expect(page.locator("#confirm")).to_contain_text("Không có phụ huynh nào cần mời trong nhóm này.")
    with django_db_blocker.unblock(), schema_context(School.objects.get(code="test-a").schema_name):
        phones = sorted(Message.objects.filter(purpose="invite").values_list("phone", flat=True))
    assert phones == sorted(g.phone for g in invite_world)
    context.close()
