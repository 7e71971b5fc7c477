"""In a real browser: the homeroom teacher composes a parent-meeting invitation from the preset on a laptop
(adding a question with HTMX), a parent answers it on a phone (390×844) and changes the answer, and the
teacher sees the count on the results page."""

import random
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from messaging.models import Message
from notices.models import Notice
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import look
from tests.conftest import sign_in, with_password
from tests.factories import guardian_link, student_enrol
from tests.notices.test_notices import SITE

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def meeting_class(django_db_blocker, settings, tmp_path):
    """Committed (the live server must see it): a class of the usual teacher with two children of one parent
    who can sign in. Every row made here is removed afterwards (the parent's account stays, as in the other
    browser tests)."""
    settings.SITE_URL = SITE
    settings.MEDIA_ROOT = tmp_path
    settings.GATEWAYS = {}
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        phone = "0915" + "".join(random.choices("0123456789", k=6))
        parent = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Dự Họp"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            school_class = SchoolClass.objects.create(
                name=f"6H-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
                homeroom_teacher=StaffMember.objects.get(user__phone="+84900000013"),
            )
            children = [student_enrol(f"PB-{tag}-{n}", school_class, name)
                        for n, name in enumerate(["Đỗ Minh Anh", "Đỗ Minh Khôi"])]  # fmt: skip
            guardian = guardian_link(children[0], phone, full_name=parent.full_name, user=parent)
            guardian_link(children[1], phone)
    yield parent, school_class
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            ids = list(Notice.objects.filter(classes=school_class).values_list("pk", flat=True))
            references = [f"notice:{pk}" for pk in ids] + [f"notice-reminder:{pk}" for pk in ids]
            Message.objects.filter(reference__in=references).delete()
            AuditEvent.objects.filter(action__startswith="notice.", actor=parent).delete()
            AuditEvent.objects.filter(
                object_type="notices.notice", object_id__in=[str(p) for p in ids]
            ).delete()
            Notice.objects.filter(pk__in=ids).delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student__in=children).delete()
            Student.objects.filter(pk__in=[c.pk for c in children]).delete()
            school_class.delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _signed_in(browser, live_server_url, phone, viewport):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_a_parent_answers_an_invitation_on_a_phone_and_the_teacher_sees_the_count(
    browser, live_server_url, meeting_class
):
    parent, school_class = meeting_class
    teacher, page = _signed_in(browser, live_server_url, "0900000013", LAPTOP)
    page.goto("/s/test-a/notices/new/")
    page.get_by_role("link", name="Dùng mẫu thư mời họp phụ huynh").click()
    expect(page.get_by_label("Tiêu đề")).to_have_value("Mời họp phụ huynh")
    page.get_by_label("Nội dung").fill("Kính mời phụ huynh dự họp lúc 8 giờ thứ Bảy tại phòng 6H.")
    page.get_by_label("Phụ huynh theo lớp").check()
    page.get_by_label(school_class.name).check()
    expect(page.locator("#estimate")).to_contain_text("1 người nhận")  # one parent of two children
    deadline = timezone.localtime() + timezone.timedelta(days=3)
    page.get_by_label("Hạn trả lời").fill(deadline.strftime("%Y-%m-%dT%H:%M"))
    first = page.locator("fieldset.question").first
    first.get_by_label("Số lớn nhất").fill("2")
    # The blank question: a choice of one, its options; then one more blank comes by HTMX.
    second = page.locator("fieldset.question").nth(1)
    second.get_by_label("Loại câu hỏi").select_option("one_of")
    expect(second.get_by_label("Số nhỏ nhất")).to_be_hidden()  # fields of other kinds are hidden
    second.get_by_label("Câu hỏi", exact=True).fill("Buổi nào thuận tiện?")
    second.get_by_label("Các lựa chọn").fill("Sáng thứ Bảy\nChiều thứ Bảy")
    page.get_by_role("button", name="Thêm câu hỏi", exact=True).click()
    expect(page.locator("fieldset.question")).to_have_count(3)
    expect(page.locator("#id_questions-TOTAL_FORMS")).to_have_value("3")
    look(page, "poll-compose")
    page.get_by_role("button", name="Gửi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gửi thông báo?")
    page.get_by_role("button", name="Xác nhận gửi").click()
    expect(page.locator(".flash")).to_contain_text("Đã gửi thông báo.")
    notice_url = page.url

    family, phone = _signed_in(browser, live_server_url, parent.phone, PHONE)
    phone.goto(notice_url)
    anh = phone.locator("section.poll-sheet", has_text="Đỗ Minh Anh")
    expect(phone.locator("section.poll-sheet")).to_have_count(2)  # one per child
    anh.get_by_label("Tôi sẽ đến").check()
    anh.get_by_label("Số người sẽ đến").fill("5")
    anh.get_by_role("button", name="Gửi câu trả lời").click()
    expect(anh.locator(".field-error").first).to_contain_text("từ 1 đến 2")  # nothing saved
    anh.get_by_label("Số người sẽ đến").fill("2")
    anh.get_by_label("Sáng thứ Bảy").check()
    anh.get_by_role("button", name="Gửi câu trả lời").click()
    expect(anh).to_contain_text("Đã lưu câu trả lời.")
    look(phone, "poll-answer")
    # She changes her mind: they cannot come after all.
    anh.get_by_label("Tôi không đến được").check()
    expect(anh.get_by_label("Số người sẽ đến")).to_be_hidden()  # no headcount for those who cannot come
    with phone.expect_response(lambda response: "/answers/" in response.url):
        anh.get_by_role("button", name="Lưu thay đổi").click()
    expect(anh).to_contain_text("Đã lưu câu trả lời.")
    phone.reload()
    expect(anh.get_by_label("Tôi không đến được")).to_be_checked()
    family.close()

    page.set_viewport_size(PHONE)
    page.goto(notice_url + "results/")
    expect(page.get_by_role("heading", name="Đã trả lời cho 1/2 học sinh")).to_be_visible()
    rsvp = page.locator("section.poll-result", has_text="Tham dự")
    expect(rsvp.locator("tr", has_text="Tôi không đến được").locator("[data-figure=count]")).to_have_text("1")
    expect(rsvp.locator("tr", has_text="Tôi sẽ đến").locator("[data-figure=count]")).to_have_text("0")
    expect(page.locator("details", has_text=school_class.name)).to_contain_text("1 học sinh")
    look(page, "poll-results")
    teacher.close()
