"""In a real browser: a parent on a 390×844 phone opens the child's timetable from the home page (one tap on
the child's card) and sees today's lessons and the week; the school admin's entry grid on a laptop and on a
phone. Every stop is screenshot, checked for sideways scrolling and by axe."""

import datetime
import random
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
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
    Subject,
)
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import look
from tests.conftest import sign_in, with_password
from tests.factories import guardian_link, student_enrol
from timetable.models import TimetableChange
from timetable.rules import AFTERNOON, MORNING
from timetable.services import Cell, Grid, timetables_apply

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def family(django_db_blocker, settings):
    """Committed (the live server must see it): a class whose timetable holds from today, with lessons on
    today's weekday (Monday's when today is Sunday), and a child whose parent can sign in. Removed after."""
    settings.GATEWAYS = {}
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        phone = "0917" + "".join(random.choices("0123456789", k=6))
        parent = with_password(User.objects.create_user(phone, full_name="Phụ Huynh Xem Lịch"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            teacher = StaffMember.objects.get(user__phone="+84900000013")
            school_class = SchoolClass.objects.create(
                name=f"6T-{tag}", grade=GradeLevel.objects.get(number=6), year=year, homeroom_teacher=teacher
            )
            child = student_enrol(f"TB-{tag}", school_class, "Đặng Minh Khôi")
            guardian = guardian_link(child, phone, full_name=parent.full_name, user=parent)
            today = timezone.localdate()
            weekday = today.weekday() if today.weekday() < 6 else 0  # Sunday: Monday's lessons
            subjects = {code: Subject.objects.get(level="lower_secondary", code=code)
                        for code in ("toan", "ngu-van", "ngoai-ngu-1", "khoa-hoc-tu-nhien")}  # fmt: skip
            cells = {
                (day, MORNING, 1): Cell(subjects["toan"], teacher, "P.201") for day in range(6)
            } | {
                (weekday, MORNING, 2): Cell(subjects["ngu-van"], None, "P.201"),
                (weekday, MORNING, 3): Cell(subjects["ngoai-ngu-1"], None, "Lab ngoại ngữ"),
                (weekday, AFTERNOON, 1): Cell(subjects["khoa-hoc-tu-nhien"], None, ""),
            }  # fmt: skip
            start = max(today - datetime.timedelta(days=today.weekday()), year.starts_on)
            change, _ = timetables_apply(
                actor=User.objects.get(phone="+84900000011"), school=school, starts_on=start, source="grid",
                grids=[Grid(school_class, cells)],
            )  # fmt: skip
    yield parent, child, school_class
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            Message.objects.filter(reference=f"timetable:{change.pk}").delete()
            AuditEvent.objects.filter(
                object_type="timetable.timetablechange", object_id=str(change.pk)
            ).delete()
            school_class.timetables.all().delete()
            TimetableChange.objects.filter(pk=change.pk).delete()
            Guardian.objects.filter(pk=guardian.pk).delete()
            Enrolment.objects.filter(student=child).delete()
            Student.objects.filter(pk=child.pk).delete()
            school_class.delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _sign_in(browser, live_server_url, phone, viewport):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_a_parent_opens_the_childs_timetable_for_today_and_the_week(browser, live_server_url, family):
    parent, _child, _school_class = family
    context, page = _sign_in(browser, live_server_url, parent.phone, PHONE)
    page.goto("/home/")
    card = page.locator(".child-card", has_text="Đặng Minh Khôi")
    card.get_by_role("link", name="Thời khoá biểu").click()  # the one tap from the hub
    expect(page.locator("h1")).to_have_text("Thời khoá biểu")
    today = page.locator("#today")
    if timezone.localdate().weekday() < 6:
        expect(today).to_contain_text("Hôm nay")
        expect(today).to_contain_text("Ngữ văn")
        expect(today).to_contain_text("phòng Lab ngoại ngữ")
        expect(today).to_contain_text("Chiều 1")
    else:
        expect(today).to_contain_text("Chủ nhật")
    week = page.locator("#week")
    expect(week.locator(".tt-day")).to_have_count(6)
    expect(week).to_contain_text("Toán · Vũ Giáo Viên · phòng P.201")
    look(page, "timetable-parent")
    page.get_by_role("link", name="Tuần sau →").click()
    expect(page.locator("#week")).to_contain_text("Toán")
    context.close()


def test_the_admin_enters_a_week_in_the_grid_on_a_laptop_and_a_phone(browser, live_server_url, family):
    _parent, _child, school_class = family
    for viewport, name in ((LAPTOP, "timetable-grid"), (PHONE, "timetable-grid")):
        context, page = _sign_in(browser, live_server_url, "0900000011", viewport)
        page.goto(f"/s/test-a/timetable/classes/{school_class.pk}/edit/")
        monday = page.get_by_label("Môn, tiết 1 buổi sáng Thứ Hai")
        expect(monday.locator("option:checked")).to_have_text("Toán")  # filled from the version holding
        look(page, name)
        page.goto(f"/s/test-a/timetable/classes/{school_class.pk}/")
        look(page, "timetable-class")
        context.close()
