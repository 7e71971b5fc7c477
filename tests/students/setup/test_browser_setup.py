"""A new school's admin sets the school up in a real browser, on a laptop and on a phone: the
years page, eight classes in one go (6A1–6A8, previewed then confirmed), a homeroom teacher, the subject
catalogue of a grade, and one teacher given a subject across several classes. Every page fits the screen
(nothing scrolls sideways, not the page and not any table in it). Screenshots go to artifacts/."""

import random
from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from schoolbook.onboarding import school_onboard
from students.models import SchoolClass, TeachingAssignment
from students.services import staff_add
from tests.conftest import ARTIFACTS, TEST_PASSWORD, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _free_phone() -> str:
    while True:
        national = "098" + "".join(random.choices("0123456789", k=7))
        if not User.objects.filter(phone="+84" + national[1:]).exists():
            return national


@pytest.fixture
def new_school(django_db_blocker):
    """A freshly onboarded lower-secondary school (its own schema: nothing shared with other tests) with
    its admin's password set and one teacher."""
    code = f"setup-{uuid4().hex[:6]}"
    with django_db_blocker.unblock():
        admin_phone, teacher_phone = _free_phone(), _free_phone()
        platform_admin = User.objects.get(phone="+84900000001")
        school = school_onboard(actor=platform_admin, data={
            "code": code, "name": "Trường THCS Nguyễn Du", "levels": ["lower_secondary"],
            "province": "Hà Nội", "admin_phone": admin_phone, "admin_name": "Lê Thị Quản Trị",
        })  # fmt: skip
        admin = User.objects.get(phone="+84" + admin_phone[1:])
        admin.set_password(TEST_PASSWORD)
        admin.save(update_fields=["password"])
        with schema_context(school.schema_name):
            staff_add(actor=admin, school=school, phone=teacher_phone, full_name="Trần Văn Toán",
                      roles=[Role.TEACHER])  # fmt: skip
    return school, admin_phone


def _fits(page, name: str) -> None:
    """Nothing scrolls sideways: not the page, and no scroll box in it (a table in its .table-wrap)."""
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX))
            .filter(el => el.scrollWidth > el.clientWidth + 1)
            .map(el => el.tagName + '.' + el.className)"""
    )
    assert not overflowing, (name, overflowing)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"setup-{name}-{width}.png"), full_page=True)


def test_new_school_admin_sets_up_years_classes_subjects_and_assignments(
    browser, live_server_url, new_school, django_db_blocker
):
    school, admin_phone = new_school
    home = f"/s/{school.code}/"
    laptop = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = laptop.new_page()
    sign_in(page, admin_phone)
    page.goto(home)

    # The year the onboarding made is there, current, with its two terms.
    page.get_by_role("link", name="Năm học", exact=True).first.click()
    expect(page.locator("h1")).to_have_text("Năm học và học kỳ")
    expect(page.locator("tr[data-year] .badge")).to_have_text("hiện tại")
    _fits(page, "years")

    # Eight classes in one go: preview, then confirm.
    page.goto(home)
    page.get_by_role("link", name="Lớp học", exact=True).first.click()
    expect(page.get_by_text("Năm học này chưa có lớp nào")).to_be_visible()
    page.get_by_role("link", name="Tạo nhiều lớp (6A1–6A8)").click()
    page.get_by_label("Các lớp cần tạo").fill("6A1–6A8")
    page.get_by_role("button", name="Xem trước").click()
    expect(page.locator("#preview")).to_contain_text("Sẽ tạo 8 lớp")
    _fits(page, "classes-bulk-preview")
    page.get_by_role("button", name="Xác nhận tạo 8 lớp").click()
    expect(page.locator(".flash")).to_contain_text("Đã tạo 8 lớp: 6A1, 6A2, 6A3, 6A4, 6A5, 6A6, 6A7, 6A8.")

    # A homeroom teacher for 6A1.
    page.get_by_role("link", name="Sửa lớp 6A1").click()
    page.get_by_label("Giáo viên chủ nhiệm").select_option(label="Trần Văn Toán")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("tbody tr").first).to_contain_text("Trần Văn Toán")
    _fits(page, "classes")

    # The subject catalogue of grade 6, then one teacher for Toán in three classes.
    page.goto(f"{home}subjects/?grade=6")
    expect(page.locator("h1")).to_have_text("Danh mục môn học · khối 6")
    _fits(page, "subjects")
    page.goto(f"{home}assignments/")
    page.get_by_role("link", name="Thêm phân công").first.click()
    page.get_by_label("Giáo viên").select_option(label="Trần Văn Toán")
    page.get_by_label("Môn học").select_option(label="Toán")
    for name in ("6A1", "6A2", "6A3"):
        page.get_by_label(name, exact=True).check()
    _fits(page, "assignment-add")
    page.get_by_role("button", name="Phân công").click()
    expect(page.locator(".flash")).to_contain_text("Đã phân công Trần Văn Toán dạy Toán ở 6A1, 6A2, 6A3.")
    laptop.close()

    with django_db_blocker.unblock(), schema_context(school.schema_name):
        assert SchoolClass.objects.filter(year__is_current=True).count() == 8
        assert SchoolClass.objects.get(name="6A1").homeroom_teacher.full_name == "Trần Văn Toán"
        assert TeachingAssignment.objects.filter(subject__code="toan").count() == 3

    # The same pages on a phone.
    phone = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, is_mobile=True)
    page = phone.new_page()
    sign_in(page, admin_phone)
    for path, name in [("years/", "years"), ("classes/", "classes"), ("subjects/?grade=6", "subjects"),
                       ("assignments/", "assignments"), ("assignments/new/", "assignment-add"),
                       ("classes/bulk/", "classes-bulk")]:  # fmt: skip
        page.goto(home + path)
        expect(page.locator("h1")).to_be_visible()
        _fits(page, name)
    phone.close()
