"""The gradebook end to end in a real browser: a teacher types and pastes scores into the grid and the average
updates; the parent sees nothing until the teacher publishes the column, then exactly that column (and gets
one message); a parent of another class's child gets 404 on this child's page."""

import random
from functools import partial
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from grades.models import Publication, Score
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
    Subject,
    TeachingAssignment,
)
from tenants.models import SchoolAffiliation
from tenants.services import affiliation_add
from tests.conftest import ARTIFACTS, TEST_PASSWORD, paste_from_excel, sign_in
from tests.factories import guardian_link, student_enrol
from tests.gradebook_world import GradebookWorld, grid_cell, plans_generate_undoable

pytestmark = pytest.mark.browser


def _phone() -> str:
    """A fresh mobile number, national form ("09…"), not yet registered."""
    while True:
        national = "0912" + "".join(random.choices("0123456789", k=6))
        if not User.objects.filter(phone=f"+84{national[1:]}").exists():
            return national


@pytest.fixture
def published_world(django_db_blocker):
    """Committed (the live server must see it): in school A a class with two students where the usual
    teacher teaches Toán, the first student's parent, and a parent whose child is in another class. Every
    row made here is removed afterwards."""
    from tenants.models import School

    tag = uuid4().hex[:6]
    f = GradebookWorld()
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        f.schema = school.schema_name
        f.parent_phone, f.outsider_phone = _phone(), _phone()
        parent_user = User.objects.create_user(f.parent_phone, full_name="Phụ Huynh Trình Duyệt")
        outsider_user = User.objects.create_user(f.outsider_phone, full_name="Phụ Huynh Lớp Khác")
        for user in (parent_user, outsider_user):
            user.set_password(TEST_PASSWORD)
            user.save(update_fields=["password"])
            affiliation_add(user=user, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            year = SchoolYear.objects.get(is_current=True)
            grade = GradeLevel.objects.get(number=6)
            f.toan = Subject.objects.get(level="lower_secondary", code="toan")
            plan, plans_undo = plans_generate_undoable(year, grade, f.toan)
            f.regular_count = plan.regular_count
            f.term = year.terms.get(number=1)
            f.school_class = SchoolClass.objects.create(name=f"6E-{tag}", grade=grade, year=year)
            f.other_class = SchoolClass.objects.create(name=f"6F-{tag}", grade=grade, year=year)
            f.math = TeachingAssignment.objects.create(
                teacher=StaffMember.objects.get(user__phone="+84900000013"),
                school_class=f.school_class,
                subject=f.toan,
            )
            rows = [("Đặng Minh An", f.school_class), ("Đặng Minh Bình", f.school_class),
                    ("Lê Thu Cúc", f.other_class)]  # fmt: skip
            f.students = [
                student_enrol(f"E2E-{tag}-{n}", school_class, name, born="2014-03-01")
                for n, (name, school_class) in enumerate(rows)
            ]
            for user, child in ((parent_user, f.students[0]), (outsider_user, f.students[2])):
                guardian_link(child, user.phone, full_name=user.full_name, user=user)
    yield f
    with django_db_blocker.unblock():
        with schema_context(school.schema_name):
            Message.objects.filter(recipient__in=[parent_user.phone, outsider_user.phone]).delete()
            publications = Publication.objects.filter(school_class=f.school_class)
            ids = [str(pk) for pk in publications.values_list("pk", flat=True)]
            AuditEvent.objects.filter(action="grades.publish", object_id__in=ids).delete()
            publications.delete()
            Score.objects.filter(student__in=f.students).delete()
            StudentGuardian.objects.filter(student__in=f.students).delete()
            Guardian.objects.filter(user__in=[parent_user, outsider_user]).delete()
            Enrolment.objects.filter(student__in=f.students).delete()
            Student.objects.filter(pk__in=[s.pk for s in f.students]).delete()
            f.math.delete()
            SchoolClass.objects.filter(pk__in=[f.school_class.pk, f.other_class.pk]).delete()
            plans_undo()
        # The two parents' accounts stay (unique fresh numbers): deleting a user from public would make
        # Django collect its rows in models of school schemas that public does not have.
        SchoolAffiliation.objects.filter(user__in=[parent_user, outsider_user]).delete()


def _sign_in(browser, live_server_url, phone):
    context = browser.new_context(base_url=live_server_url, locale="vi-VN")
    page = context.new_page()
    sign_in(page, phone)
    expect(page.locator("h1").first).to_be_visible()
    return context, page


def test_teacher_enters_and_publishes_and_only_the_childs_parent_sees_it(
    browser, live_server_url, published_world, django_db_blocker
):
    f = published_world
    an, binh, _ = f.students
    child_page = f"/s/test-a/grades/students/{an.pk}/"

    # 1. The teacher types a score and pastes the rest of An's row from Excel; the average updates.
    teacher, page = _sign_in(browser, live_server_url, "0900000013")
    page.goto(f"/s/test-a/grades/assignments/{f.math.pk}/terms/{f.term.pk}/")

    cell = partial(grid_cell, page)

    cell(an, "TX1").click()
    page.keyboard.type("8,5")
    page.keyboard.press("Enter")
    expect(cell(binh, "TX1")).to_be_focused()
    expect(cell(an, "TX1")).to_have_attribute("data-version", "1")
    # the rest of the row: TX2…TXn, GK, CK pasted as one Excel row starting at TX2
    rest = ["9"] * (f.regular_count - 1) + ["7", "8"]
    paste_from_excel(page, f'.cell[data-row="{an.pk}"][data-col="TX2"]', "\t".join(rest) + "\r\n")
    expect(cell(an, "CK")).to_have_attribute("data-version", "1")
    regular = [8.5] + [9.0] * (f.regular_count - 1)
    expected = (sum(regular) + 2 * 7 + 3 * 8) / (f.regular_count + 5)
    average = page.locator(f'[data-row-value="{an.pk}"][data-field="average"]')
    expect(average).to_have_text(f"{expected:.1f}".replace(".", ","))  # e.g. 4 TX: 73,5 / 9 = 8,17 → 8,2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "grade-entry.png", full_page=True)

    # 2. Not published yet: the parent sees none of it.
    parent, parent_page = _sign_in(browser, live_server_url, f.parent_phone)
    parent_page.goto(child_page)
    expect(parent_page.get_by_role("heading", level=1)).to_contain_text("Đặng Minh An")
    expect(parent_page.locator("body")).to_contain_text("Chưa có điểm nào được công bố.")
    expect(parent_page.locator("body")).not_to_contain_text("8,5")

    # 3. The teacher publishes TX1: a dialog over the grid says what will happen (one parent, one message,
    # the cost) and nothing is sent until it is confirmed; then HTMX swaps the column's controls.
    page.locator("#publish-TX1").get_by_role("button", name="Công bố").click()
    dialog = page.locator("#publish-dialog dialog")
    expect(dialog).to_contain_text("1 phụ huynh sẽ nhận một tin nhắn.")
    expect(dialog).to_contain_text("Điểm mới môn Toán (HK I, ĐĐGtx 1) của Đặng Minh An: 8,5")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.screenshot(path=ARTIFACTS / "grade-publish-confirm.png")
    page.set_viewport_size({"width": 390, "height": 844})  # a tablet or phone: the dialog fits the screen
    assert page.evaluate("document.querySelector('#publish-dialog dialog').scrollWidth <= innerWidth")
    page.screenshot(path=ARTIFACTS / "grade-publish-confirm-phone.png")
    with django_db_blocker.unblock(), schema_context(f.schema):
        assert not Message.objects.filter(purpose="grades", phone=f"+84{f.parent_phone[1:]}").exists()
    dialog.get_by_role("button", name="Xác nhận công bố").click()
    expect(page.locator("#publish-TX1")).to_contain_text("Đã công bố cột TX1")
    with django_db_blocker.unblock(), schema_context(f.schema):
        bodies = list(Message.objects.filter(phone=f"+84{f.parent_phone[1:]}").values_list("body", flat=True))
    assert bodies == ["Điểm mới môn Toán (HK I, ĐĐGtx 1) của Đặng Minh An: 8,5"]

    # 4. The parent now sees TX1 and only TX1: the other columns wait for their publication.
    parent_page.reload()
    expect(parent_page.locator("body")).to_contain_text("8,5")
    expect(parent_page.locator("body")).not_to_contain_text("Chưa có điểm nào được công bố.")
    expect(parent_page.locator("body")).not_to_contain_text("9,0")
    parent_page.screenshot(path=ARTIFACTS / "parent-grades.png", full_page=True)

    # 5. A parent of a child in another class: 404 on An's page, and no trace of An on their own pages.
    outsider, outsider_page = _sign_in(browser, live_server_url, f.outsider_phone)
    response = outsider_page.goto(child_page)
    assert response.status == 404
    expect(outsider_page.locator("body")).not_to_contain_text("Đặng Minh An")
    for context in (teacher, parent, outsider):
        context.close()
