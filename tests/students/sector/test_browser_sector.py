"""The sector database exchange in a real browser: school A's admin, on a phone, goes from the school's home
to the exchange page, downloads the students file, "enters it into the sector database" (which numbers each
student), uploads the sector's list back, reads the preview and confirms; the principal, on a laptop, then
sees no student left without an identifier. Every page fits the screen and passes axe's WCAG 2.1 AA checks.
Screenshots go to artifacts/."""

import io

import pytest
from django_tenants.utils import schema_context
from openpyxl import load_workbook
from playwright.sync_api import expect

from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear, Student
from tests.browser_checks import look
from tests.conftest import sign_in
from tests.factories import student_enrol

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường")


@pytest.fixture
def class_of_three(django_db_setup, django_db_blocker):
    """Committed in school A (the live server reads it): a class 9Z with three students. Removed after, with
    the audit events the journey wrote."""
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        school_class = SchoolClass.objects.create(
            name="9Z", grade=GradeLevel.objects.get(number=9), year=SchoolYear.objects.get(is_current=True)
        )
        students = [
            student_enrol(f"SEC{n}", school_class, name, born=f"2011-0{n}-1{n}")
            for n, name in enumerate(NAMES, 1)
        ]
    yield school_class
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        Student.objects.filter(pk__in=[s.pk for s in students]).delete()
        school_class.delete()
        AuditEvent.objects.filter(action__startswith="sector.").delete()


def _look(page, name):
    look(page, f"sector-{name}")


def test_the_admin_exchanges_with_the_sector_database(
    browser, live_server_url, class_of_three, tmp_path, django_db_blocker
):
    contexts = []

    def new_page(viewport):
        contexts.append(
            browser.new_context(
                base_url=live_server_url, locale="vi-VN", viewport=viewport, accept_downloads=True
            )
        )
        return contexts[-1].new_page()

    phone = new_page(PHONE)
    sign_in(phone, "0900000011")  # school A's admin
    phone.goto("/s/test-a/")
    phone.get_by_role("link", name="CSDL ngành").click()
    expect(phone.locator("h1")).to_have_text("Trao đổi dữ liệu với CSDL ngành")
    expect(phone.locator('[data-count="students"]')).to_have_text("3")
    expect(phone.locator('[data-figure="without-id"]')).to_have_text("3 học sinh chưa có mã định danh")
    _look(phone, "page")

    with phone.expect_download() as download:
        phone.locator('a[href$="/students/sector/students.xlsx"]').click()
    workbook = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    sheet = workbook["Sheet1"]
    assert [row[3].value for row in sheet.iter_rows(min_row=2)] == list(NAMES)
    for number, row in enumerate(sheet.iter_rows(min_row=2), start=1):
        row[2].value = f"01011372{number:02d}"  # the sector database numbers each student
    sector_list = tmp_path / "C1-HocSinh.xlsx"
    workbook.save(sector_list)

    phone.locator('input[type="file"]').set_input_files(sector_list)
    phone.get_by_role("button", name="Kiểm tra tệp").click()
    expect(phone.locator('[data-count="ids_set"]')).to_have_text("3")
    _look(phone, "preview")
    phone.get_by_role("button", name="Xác nhận nhập").click()
    expect(phone.get_by_text("Đã lưu 3 mã định danh; 0 học sinh đã có đúng mã.")).to_be_visible()
    expect(phone.locator('[data-figure="without-id"]')).to_have_count(0)
    _look(phone, "done")

    laptop = new_page(LAPTOP)
    sign_in(laptop, "0900000012")  # the principal
    laptop.goto("/s/test-a/students/")
    laptop.get_by_role("link", name="CSDL ngành").click()
    expect(laptop.locator('[data-count="students"]')).to_have_text("3")
    _look(laptop, "page")
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        saved = Student.objects.filter(student_code__startswith="SEC").values_list("sector_id", flat=True)
        assert sorted(saved) == ["0101137201", "0101137202", "0101137203"]
    for context in contexts:
        context.close()
