"""In a real browser: a homeroom teacher composes a notice, the estimate follows the choices and the text
(HTMX), a PDF is attached, and "Gửi" publishes it after the confirmation page (their own class needs no
approval)."""

import random
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from messaging.models import Message
from notices.models import Notice
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tests.conftest import ARTIFACTS, sign_in
from tests.factories import guardian_link, student_enrol
from tests.notices.test_notices import PDF, SITE

pytestmark = pytest.mark.browser


@pytest.fixture
def homeroom(django_db_blocker, settings, tmp_path):
    """Committed (the live server must see it): a class of the usual teacher with two students, each with a
    guardian of their own. Every row made here is removed afterwards."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        school_class = SchoolClass.objects.create(
            name=f"6N-{tag}",
            grade=GradeLevel.objects.get(number=6),
            year=SchoolYear.objects.get(is_current=True),
            homeroom_teacher=StaffMember.objects.get(user__phone="+84900000013"),
        )
        students = [student_enrol(f"NB-{tag}-{n}", school_class, f"Học Sinh {n}") for n in range(2)]
        guardians = [guardian_link(s, "0918" + "".join(random.choices("0123456789", k=6))) for s in students]
    yield school_class
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        notices = Notice.objects.filter(classes=school_class)
        ids = list(notices.values_list("pk", flat=True))
        Message.objects.filter(reference__in=[f"notice:{pk}" for pk in ids]).delete()
        events = AuditEvent.objects.filter(object_type="notices.notice", object_id__in=[str(p) for p in ids])
        events.delete()
        Notice.objects.filter(pk__in=ids).delete()
        Guardian.objects.filter(pk__in=[g.pk for g in guardians]).delete()
        Enrolment.objects.filter(student__in=students).delete()
        Student.objects.filter(pk__in=[s.pk for s in students]).delete()
        school_class.delete()


def test_compose_with_a_live_estimate_and_an_attachment(browser, live_server_url, homeroom, tmp_path):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN")
    page = context.new_page()
    sign_in(page, "0900000013")
    page.goto("/s/test-a/notices/new/")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("Chọn người nhận để xem")

    page.get_by_label("Tiêu đề").fill("Họp phụ huynh")
    page.get_by_label("Nội dung").fill("Kính mời phụ huynh dự họp lúc 8 giờ.")
    page.get_by_label("Phụ huynh theo lớp").check()
    page.get_by_label(homeroom.name).check()
    expect(estimate).to_contain_text("2 người nhận")
    expect(estimate.locator("tr", has_text="Số tin SMS mỗi người")).to_contain_text("1")
    page.get_by_label("Nội dung").fill("Kính mời phụ huynh dự họp lúc 8 giờ. " * 6)  # > 160 characters
    expect(estimate.locator("tr", has_text="Số tin SMS mỗi người")).to_contain_text("2")

    pdf = tmp_path / "giay-moi.pdf"
    pdf.write_bytes(PDF)
    page.get_by_label("Tệp đính kèm").set_input_files(str(pdf))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notice-compose.png"), full_page=True)
    page.get_by_role("button", name="Gửi", exact=True).click()
    # Nothing goes out on one click: the confirmation says to whom, how many messages and the cost.
    expect(page.get_by_role("heading", level=1)).to_have_text("Gửi thông báo?")
    expect(page.locator("#confirm")).to_contain_text("sẽ được gửi ngay tới 2 người nhận")
    # 3 SMS each, one more than the compose estimate: the text sent carries the attachment's link.
    expect(page.locator("#confirm tr", has_text="Số tin SMS mỗi người")).to_contain_text("3")
    page.screenshot(path=str(ARTIFACTS / "notice-confirm.png"), full_page=True)
    page.get_by_role("button", name="Xác nhận gửi").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi thông báo.")
    expect(page.get_by_role("link", name="giay-moi.pdf")).to_be_visible()
    context.close()
