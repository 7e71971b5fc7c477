"""The bank statement import walked in a real browser, at a laptop's and a phone's width: the school's
fee manager uploads a Vietcombank statement with its title lines, maps its columns the first time, sees the
broken rows named by line and nothing recorded, uploads the corrected file (the columns are remembered), sees
which invoice each row pays, confirms, and the invoices are paid; then opens the exports page. Screenshots
go to artifacts/."""

from uuid import uuid4

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from payments.models import (
    BankTransaction,
    CollectionRound,
    FeeItem,
    Invoice,
    InvoiceLine,
    Payment,
    Receipt,
    StatementMapping,
)
from schoolbook.audit.models import AuditEvent
from students.models import (
    Enrolment,
    GradeLevel,
    ImportPreview,
    SchoolClass,
    SchoolYear,
    StaffMember,
    Student,
)
from tenants.models import School
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, sign_in
from tests.factories import fee_item_make, round_invoice, round_make, student_enrol
from tests.payments.statements.test_statement_import import day, line, statement_xlsx

pytestmark = pytest.mark.browser
URL = "/s/test-a/fees/statements/import/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def billed(django_db_blocker):
    """Committed (the live server must see it): a class of school A with two children and their invoices
    of a round. Removed afterwards with everything the import recorded."""
    tag = uuid4().hex[:6]
    with django_db_blocker.unblock():
        schema = School.objects.get(code="test-a").schema_name
        with schema_context(schema):
            admin = StaffMember.objects.get(user__phone="+84900000011")
            school_class = SchoolClass.objects.create(
                name=f"6S-{tag}",
                grade=GradeLevel.objects.get(number=6),
                year=SchoolYear.objects.get(is_current=True),
            )
            students = [
                student_enrol(f"SK-{tag}-1", school_class, "Nguyễn Văn An"),
                student_enrol(f"SK-{tag}-2", school_class, "Trần Thị Bình"),
            ]
            item = fee_item_make(f"Tiền ăn {tag}", 650_000, classes=[school_class])
            round_ = round_make(admin, [item], name=f"Tháng 10 {tag}")
            round_invoice(admin.user, round_)
            invoices = [Invoice.objects.get(student=student) for student in students]
    yield tag, invoices
    with django_db_blocker.unblock(), schema_context(schema):
        transactions = BankTransaction.objects.filter(provider_id__startswith=f"FT{tag}")
        Receipt.objects.filter(payment__invoice__in=invoices).delete()
        Payment.objects.filter(invoice__in=invoices).delete()
        transactions.delete()
        InvoiceLine.objects.filter(invoice__in=invoices).delete()
        Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices]).delete()
        CollectionRound.objects.filter(pk=round_.pk).delete()
        FeeItem.objects.filter(pk=item.pk).delete()
        Enrolment.objects.filter(student__in=students).delete()
        Student.objects.filter(pk__in=[student.pk for student in students]).delete()
        school_class.delete()
        StatementMapping.objects.all().delete()
        ImportPreview.objects.all().delete()
        AuditEvent.objects.filter(action__startswith="payments.").delete()


def statement(tag, invoices, *, broken: bool) -> bytes:
    an, binh = invoices
    rows = [
        line(1, day(2) + " 08:15", f"FT{tag}01", "650.000", f"MBVCB.5512.{an.code} hoc phi con An"),
        line(
            2,
            day(2) + " 10:02",
            f"FT{tag}02",
            "-650.000" if broken else "650,000",
            f"{binh.code.lower()} Binh",
        ),
        line(3, day(1), f"FT{tag}03", "", "Phi SMS Banking", debit="11.000"),
        line(4, "31/09/2026" if broken else day(1), f"FT{tag}04", "200.000", "ung ho quy lop 6S"),
        ["", "", "", "11.000", "1.500.000", "", "Tổng cộng"],
    ]
    return statement_xlsx(rows)


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_the_fee_manager_imports_a_bank_statement(
    browser, live_server_url, billed, viewport, django_db_blocker
):
    tag, invoices = billed
    name = "phone" if viewport["width"] < 500 else "laptop"
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, "0900000011")
    page.goto(URL)
    expect(page.locator("h1")).to_have_text("Nhập sao kê ngân hàng")
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"statement-upload-{name}.png"), full_page=True)

    def upload(data):
        page.get_by_label("Ngân hàng").select_option("970436")
        page.get_by_label("Tệp sao kê (.xlsx hoặc .csv)").set_input_files(
            files=[{"name": "saoke-vcb.xlsx", "mimeType": XLSX, "buffer": data}]
        )
        page.get_by_role("button", name="Kiểm tra tệp").click()

    upload(statement(tag, invoices, broken=True))
    expect(page.locator("h1")).to_have_text("Chọn cột của sao kê")
    assert page.get_by_label("Ngày giao dịch").input_value() == "Ngày giao dịch"
    assert page.get_by_label("Số tiền ghi có (tiền vào)").input_value() == "Số tiền ghi có"
    assert page.get_by_label("Mã giao dịch của ngân hàng").input_value() == "Số tham chiếu"
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"statement-columns-{name}.png"), full_page=True)
    page.get_by_role("button", name="Lưu và xem trước").click()

    expect(page.locator(".error-box")).to_contain_text("Có 2 lỗi. Chưa có gì được ghi nhận")
    expect(page.locator('[data-line="6"]')).to_contain_text("Số tiền âm")
    expect(page.locator('[data-line="8"]')).to_contain_text("Không đọc được ngày")
    expect(page.locator('[data-line="7"]')).to_contain_text("tiền ra, bỏ qua")
    expect(page.get_by_role("button", name="Ghi nhận")).to_have_count(0)
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"statement-errors-{name}.png"), full_page=True)

    page.get_by_role("link", name="Tải tệp khác").click()
    upload(statement(tag, invoices, broken=False))  # the columns are remembered: straight to the preview
    expect(page.locator("h1")).to_have_text("Xem trước sao kê")
    an, binh = invoices
    expect(page.locator('[data-line="5"]')).to_contain_text(f"{an.code} · Nguyễn Văn An: 650.000 đ")
    expect(page.locator('[data-line="6"]')).to_contain_text(f"{binh.code} · Trần Thị Bình: 650.000 đ")
    expect(page.locator('[data-line="8"]')).to_contain_text("chưa khớp: chờ xử lý")
    expect(page.locator('[data-line="9"]')).to_contain_text("dòng tổng, bỏ qua")
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"statement-preview-{name}.png"), full_page=True)

    page.get_by_role("button", name="Ghi nhận 3 giao dịch (1.500.000 đ)").click()
    expect(page.locator(".flash")).to_contain_text(
        "Đã ghi nhận 3 giao dịch: 2 đã khớp hoá đơn, 1 chờ kế toán xử lý"
    )
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"statement-done-{name}.png"), full_page=True)

    # the exports page, where the accountant goes next, fits the same screen
    page.goto("/s/test-a/fees/export/")
    expect(page.get_by_label("Đợt thu")).to_contain_text(f"Tháng 10 {tag}")
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    page.screenshot(path=str(ARTIFACTS / f"fee-exports-{name}.png"), full_page=True)
    context.close()

    with django_db_blocker.unblock(), schema_context("school_test_a"):
        paid = Invoice.objects.filter(pk__in=[i.pk for i in invoices]).values_list("state", flat=True)
        assert set(paid) == {"paid"}
        assert BankTransaction.objects.filter(provider_id__startswith=f"FT{tag}").count() == 3
