"""In a real browser on a phone-sized screen: a parent taps from the parent hub to the child's messages,
writes to the homeroom teacher; the teacher (another browser context) finds it unread in the inbox and
replies; the parent sees the reply and the teacher sees "Đã xem" under the message. Every stop is looked at
(screenshot, no sideways scroll, axe)."""

import datetime
import random
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from conversations.models import Conversation, ConversationSettings, OfficeHours
from messaging.models import Message as Outgoing
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import look
from tests.conftest import sign_in, with_password
from tests.factories import guardian_link, student_enrol

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def family(django_db_blocker, settings, tmp_path):
    """Committed (the live server must see it): a class of the world's teacher (no office hours, so the
    test does not depend on the hour) with one student whose parent can sign in; removed afterwards."""
    settings.MEDIA_ROOT = tmp_path
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        phone = "0918" + "".join(random.choices("0123456789", k=6))
        parent = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Nhắn Tin"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            teacher = StaffMember.objects.get(user__phone="+84900000013")
            hours = OfficeHours.objects.create(staff=teacher, weekdays=[])
            school_class = SchoolClass.objects.create(
                name=f"6T-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
                homeroom_teacher=teacher,
            )
            child = student_enrol(f"TN-{tag}", school_class, "Võ Gia Bảo")
            guardian = guardian_link(child, phone, full_name=parent.full_name, user=parent)
    yield parent, child
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            conversations = Conversation.objects.filter(student=child)
            Outgoing.objects.filter(reference__startswith="conversation-message:").delete()
            AuditEvent.objects.filter(action__startswith="conversation.").delete()
            for conversation in conversations:
                conversation.messages.all().delete()
                conversation.participants.all().delete()
            conversations.delete()
            OfficeHours.objects.filter(pk=hours.pk).delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student=child).delete()
            Student.objects.filter(pk=child.pk).delete()
            school_class.delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _signed_in(browser, live_server_url, phone, viewport):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_a_parent_writes_to_the_homeroom_teacher_who_replies_and_each_sees_the_other(
    browser, live_server_url, family
):
    parent, _child = family
    mother, page = _signed_in(browser, live_server_url, parent.phone, PHONE)
    page.goto("/home/")
    look(page, "conversation-hub")
    page.get_by_role("link", name="Nhắn thầy cô").click()  # tap 1: the child's messages
    expect(page.locator("h1")).to_have_text("Tin nhắn về Võ Gia Bảo")
    look(page, "conversation-child")
    page.get_by_role("link", name="Vũ Giáo Viên").click()  # tap 2: the box to write to her
    page.get_by_label("Tin nhắn").fill("Chào cô, con em hôm nay hơi mệt, nhờ cô để ý giúp <b>em</b>.")
    look(page, "conversation-start")
    page.get_by_role("button", name="Gửi").click()
    expect(page.locator(".thread .message")).to_have_count(1)
    expect(page.locator(".thread .message.mine .body")).to_contain_text("nhờ cô để ý giúp <b>em</b>.")
    thread_url = page.url

    teacher, staff_page = _signed_in(browser, live_server_url, "0900000013", PHONE)
    staff_page.goto("/s/test-a/conversations/")
    item = staff_page.locator("li.conversation.unread", has_text="Võ Gia Bảo")
    expect(item).to_contain_text("Chưa đọc")
    look(staff_page, "conversation-inbox")
    item.get_by_role("link").click()
    expect(staff_page.locator(".thread .message")).to_contain_text("hơi mệt")
    staff_page.get_by_label("Tin nhắn").fill("Cô đã biết, cô sẽ để ý con ạ.")
    staff_page.get_by_role("button", name="Gửi").click()
    expect(staff_page.locator(".thread .message.mine")).to_contain_text("Cô đã biết")
    look(staff_page, "conversation-teacher")

    page.goto(thread_url)
    expect(page.locator(".thread .message").last).to_contain_text("Cô đã biết, cô sẽ để ý con ạ.")
    expect(page.locator(".thread .message").first.locator(".seen")).to_contain_text("Đã xem")
    expect(page.locator(".thread .message").first.locator(".seen")).to_contain_text("Vũ Giáo Viên")
    look(page, "conversation-parent-reply")

    staff_page.reload()
    expect(staff_page.locator(".thread .message.mine .seen")).to_contain_text("Đã xem")
    expect(staff_page.locator(".thread .message.mine .seen")).to_contain_text("Phụ Huynh Nhắn Tin")
    look(staff_page, "conversation-teacher-seen")
    staff_page.set_viewport_size(DESKTOP)
    look(staff_page, "conversation-teacher-seen")
    mother.close()
    teacher.close()


def test_office_hours_reports_and_the_boards_choices_walked(
    browser, live_server_url, family, django_db_blocker
):
    """The teacher sets office hours that exclude now, and the parent's box says when she will be told; the
    parent reports the teacher's reply; the principal turns the board's reading on and hides the reported
    message with a reason; the parent sees it hidden. The staff pages at 1280 px."""
    parent, _child = family
    closed = [(timezone.localdate().weekday() + 1) % 7]  # open tomorrow only: closed now
    contexts = []
    try:
        _walk_after_hours(browser, live_server_url, parent, closed, contexts)
    finally:
        with django_db_blocker.unblock(), schema_context("school_test_a"):
            ConversationSettings.objects.all().delete()
            OfficeHours.objects.filter(staff__user__phone="+84900000013").update(
                weekdays=[], opens=datetime.time(7), closes=datetime.time(17)
            )
        for context in contexts:
            context.close()


def _walk_after_hours(browser, live_server_url, parent, closed, contexts):
    teacher, staff_page = _signed_in(browser, live_server_url, "0900000013", DESKTOP)
    contexts.append(teacher)
    staff_page.goto("/s/test-a/conversations/office-hours/")
    for box in staff_page.locator("input[name=weekdays]").all():
        box.uncheck()
    staff_page.locator(f"input[name=weekdays][value='{closed[0]}']").check()
    staff_page.get_by_label("Từ giờ").fill("07:00")
    staff_page.get_by_label("Đến giờ").fill("17:00")
    look(staff_page, "conversation-office-hours")
    staff_page.get_by_role("button", name="Lưu").click()
    expect(staff_page.locator(".flash")).to_contain_text("Đã lưu giờ làm việc.")

    mother, page = _signed_in(browser, live_server_url, parent.phone, PHONE)
    contexts.append(mother)
    page.goto("/home/")
    page.get_by_role("link", name="Nhắn thầy cô").click()
    page.get_by_role("link", name="Vũ Giáo Viên").click()
    expect(page.locator(".office-hours")).to_contain_text("sẽ trả lời trong giờ làm việc")
    expect(page.locator(".office-hours")).to_contain_text("sẽ được báo cho thầy/cô lúc 7:00")
    look(page, "conversation-after-hours")
    page.get_by_label("Tin nhắn").fill("Em nhắn ngoài giờ, cô đọc sau ạ.")
    page.get_by_role("button", name="Gửi").click()
    thread_url = page.url

    staff_page.goto(thread_url)
    staff_page.get_by_label("Tin nhắn").fill("Lời lẽ cần ẩn.")
    staff_page.get_by_role("button", name="Gửi").click()
    page.goto(thread_url)
    page.locator(".thread .message").last.locator("summary").click()
    page.get_by_label("Lý do báo cáo").fill("Không phù hợp")
    page.get_by_role("button", name="Gửi báo cáo").click()
    expect(page.locator(".flash")).to_contain_text("Đã báo cáo tin nhắn")

    principal, board = _signed_in(browser, live_server_url, "0900000012", DESKTOP)
    contexts.append(principal)
    board.goto("/s/test-a/conversations/settings/")
    board.get_by_label("Ban giám hiệu xem được hội thoại").check()
    look(board, "conversation-settings")
    board.get_by_role("button", name="Lưu").click()
    board.goto("/s/test-a/conversations/reported/")
    look(board, "conversation-reports")
    board.get_by_role("link", name="Ẩn tin nhắn").click()
    board.get_by_label("Lý do ẩn").fill("Ngôn từ không phù hợp")
    look(board, "conversation-hide")
    board.get_by_role("button", name="Ẩn tin nhắn").click()
    expect(board.locator(".flash")).to_contain_text("Đã ẩn tin nhắn.")
    board.goto(thread_url)
    expect(board.locator(".notice")).to_contain_text("với tư cách ban giám hiệu")
    page.goto(thread_url)
    expect(page.locator(".hidden-message")).to_contain_text("Ngôn từ không phù hợp")
    expect(page.locator(".thread")).not_to_contain_text("Lời lẽ cần ẩn.")
    look(page, "conversation-hidden")
