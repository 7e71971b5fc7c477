"""In a real browser: a class roster in Vietnamese class-list order on a phone and on a laptop, and the
console's school search without accents, with hyphens. Screenshots go to tests/artifacts/ (the ones in
docs/screenshots/ were taken from here)."""

from uuid import uuid4

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from students.models import Enrolment, GradeLevel, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School
from tests.conftest import ARTIFACTS
from tests.factories import student_enrol
from tests.students.roster.test_name_order_lists import CLASS_LIST

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def committed_class(django_db_blocker):
    """A class of school A whose homeroom teacher is Vũ Giáo Viên, with the class list enrolled back to
    front, committed so the live server sees it; removed afterwards."""
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        teacher = User.objects.get(phone="+84900000013")
        with schema_context(school.schema_name):
            school_class = SchoolClass.objects.create(
                name=f"6V-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
                homeroom_teacher=StaffMember.objects.get(user=teacher),
            )
            students = [
                student_enrol(f"VN-{tag}-{n}", school_class, name) for n, name in enumerate(CLASS_LIST[::-1])
            ]
        session = _session(teacher)
    yield school_class, session
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        Enrolment.objects.filter(school_class=school_class).delete()
        Student.objects.filter(pk__in=[s.pk for s in students]).delete()
        school_class.delete()


def _open(browser, live_server_url, session, path, viewport):
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server_url}])
    page = context.new_page()
    page.goto(f"{live_server_url}{path}")
    return context, page


def _names_in_page_order(page) -> list[str]:
    text = page.inner_text("main")
    return sorted((name for name in CLASS_LIST if name in text), key=text.index)


@pytest.mark.parametrize(("viewport", "label"), [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_the_class_roster_reads_in_vietnamese_order(
    browser, live_server_url, committed_class, viewport, label
):
    school_class, session = committed_class
    context, page = _open(
        browser, live_server_url, session, f"/s/test-a/classes/{school_class.pk}/", viewport
    )
    try:
        assert _names_in_page_order(page) == CLASS_LIST
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"class-roster-vietnamese-order-{label}.png"), full_page=True)
    finally:
        context.close()


def test_the_console_finds_schools_without_accents_and_with_hyphens(
    browser, live_server_url, django_db_blocker
):
    with django_db_blocker.unblock():
        session = _session(User.objects.get(phone="+84900000001"))
    context, page = _open(browser, live_server_url, session, "/console/?q=thu-nghiem", LAPTOP)
    try:
        codes = page.locator("[data-code]").evaluate_all("rows => rows.map(row => row.dataset.code)")
        assert sorted(codes) == ["test-a", "test-b"]
        assert page.locator("input[name=q]").input_value() == "thu-nghiem"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "console-search-folded.png"), full_page=True)
    finally:
        context.close()
