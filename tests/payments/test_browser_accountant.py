"""The accountant's journey in a real browser, at a laptop's and a phone's width: from the school home to
the fees home, the receiving account, the year's items, a round previewed then generated, one invoice with
its VietQR; then a parent's transfer arrives through SePay, and the accountant sees it among today's
payments, opens the receipt to print and downloads the workbook for the accounting software. (Matching an
unmatched transfer is walked in tests/payments/ledger/test_browser_unmatched.py.) Screenshots go to
artifacts/ (looked at when the journey changes)."""

import io
import re

import openpyxl
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from payments.feeds.services import feed_account_save
from payments.models import (
    BankTransaction,
    CollectionRound,
    FeeItem,
    FeeReduction,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentProvider,
    Receipt,
    ReceivingAccount,
)
from schoolbook.audit.models import AuditEvent
from students.models import Enrolment, GradeLevel, SchoolClass, SchoolYear, StaffMember, Student
from students.services import staff_add
from tenants.models import School, SchoolAffiliation
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, TEST_PASSWORD, sign_in
from tests.factories import student_enrol
from tests.fakes.bank_feeds import SepaySender

pytestmark = pytest.mark.browser
PHONE = "0911000301"
SEPAY_KEY = "sepay-accountant-journey-key"


@pytest.fixture
def school_with_pupils(django_db_blocker):
    """Committed for the live server (no test transaction): an accountant who can sign in, class 6P1 with
    three pupils; removed with everything the journey wrote."""
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        admin = User.objects.get(phone="+84900000011")
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        accountant = staff_add(
            actor=admin, school=school, phone=PHONE, full_name="Trần Kế Toán Duyệt", roles=[Role.ACCOUNTANT]
        )
        feed_account_save(actor=admin, provider="sepay", key=SEPAY_KEY)
        accountant.user.set_password(TEST_PASSWORD)
        accountant.user.save()
        year = SchoolYear.objects.get(is_current=True)
        school_class = SchoolClass.objects.create(
            name="6P1", grade=GradeLevel.objects.get(number=6), year=year
        )
        for n, name in enumerate(("Nguyễn Văn An", "Lê Thị Bình", "Phạm Minh Châu"), start=1):
            student_enrol(f"BP-{n}", school_class, name)
    yield accountant
    with django_db_blocker.unblock(), schema_context(school.schema_name):
        # The journey's fees are the only ones committed in school A (other tests roll theirs back).
        for model in (Receipt, Payment, BankTransaction, InvoiceLine, Invoice, CollectionRound, FeeReduction,
                      FeeItem, ReceivingAccount, PaymentProvider):  # fmt: skip
            model.objects.all().delete()
        Enrolment.objects.filter(school_class=school_class).delete()
        Student.objects.filter(student_code__startswith="BP-").delete()
        school_class.delete()
        StaffMember.objects.filter(pk=accountant.pk).delete()
        AuditEvent.objects.filter(pk__gt=last_event).delete()
        # In the school's schema (its search path has public too), so the deletion sees the staff tables.
        SchoolAffiliation.objects.filter(user=accountant.user).delete()
        User.objects.filter(pk=accountant.user_id).delete()


def shot(page, name):
    assert_no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 900}, {"width": 390, "height": 844}])
def test_the_accountant_sets_up_fees_and_invoices_the_year(
    browser, live_server_url, school_with_pupils, django_db_blocker, viewport
):
    device = "phone" if viewport["width"] < 500 else "laptop"
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, PHONE)
    page.goto("/s/test-a/")
    page.get_by_role("link", name="Học phí").click()
    expect(page.locator("#fee-setup")).to_contain_text("Khai báo tài khoản nhận tiền của trường")
    shot(page, f"fees-home-empty-{device}")

    page.get_by_role("link", name="Khai báo tài khoản nhận tiền của trường").click()
    page.get_by_label("Ngân hàng").select_option("970436")
    page.get_by_label("Số tài khoản").fill("0011 2233 44")
    page.get_by_label("Tên chủ tài khoản").fill("Trường THCS Thử Nghiệm A")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("#account")).to_contain_text("TRUONG THCS THU NGHIEM A")
    expect(page.locator("#account")).to_contain_text("••••3344")
    shot(page, f"fees-settings-{device}")

    page.locator("#fee-nav").get_by_role("link", name="Khoản thu").click()
    page.get_by_role("link", name="Thêm khoản thu đầu tiên (ví dụ: tiền ăn bán trú)").click()
    page.get_by_label("Tên khoản thu").fill("Tiền ăn bán trú")
    page.get_by_label("Số tiền (đồng)").fill("600.000,5")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_text("Số tiền là số nguyên đồng")).to_be_visible()
    shot(page, f"fees-item-error-{device}")
    page.get_by_label("Số tiền (đồng)").fill("600.000")
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("[data-item='Tiền ăn bán trú']")).to_contain_text("600.000 đ")
    page.get_by_role("link", name="Thêm khoản thu").click()
    page.get_by_label("Tên khoản thu").fill("Câu lạc bộ tiếng Anh")
    page.get_by_label("Số tiền (đồng)").fill("250000")
    page.get_by_label("Tự nguyện: chỉ thu khi phụ huynh đăng ký").check()
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("[data-item='Câu lạc bộ tiếng Anh']")).to_contain_text("Tự nguyện · 0 đăng ký")
    shot(page, f"fees-items-{device}")

    page.get_by_role("link", name="Tiếp theo: lập đợt thu").click()
    page.get_by_role("link", name="Lập đợt thu").first.click()
    page.get_by_label("Tên đợt thu").fill("Tháng 12/2026")
    page.get_by_label("Hạn nộp").fill("2099-12-15")
    page.get_by_label("Tiền ăn bán trú").check()
    page.get_by_label("Câu lạc bộ tiếng Anh").check()
    page.get_by_role("button", name="Lưu và xem trước").click()
    expect(page.locator("[data-plan=changes]")).to_contain_text("3 hoá đơn mới, tổng 1.800.000 đ: 6P1 (3)")
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        assert not Invoice.objects.exists()
    shot(page, f"fees-round-preview-{device}")
    page.get_by_role("button", name="Xác nhận lập hoá đơn").click()
    expect(page.get_by_text("Đã lập 3 hoá đơn mới")).to_be_visible()
    expect(page.locator("#invoices tbody tr")).to_have_count(3)
    shot(page, f"fees-round-invoices-{device}")

    page.get_by_role("link", name="Lê Thị Bình").click()
    expect(page.locator("[data-outstanding]")).to_have_text("600.000 đ")
    expect(page.locator(".qr-box svg")).to_be_visible()
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        invoice = Invoice.objects.get(student__student_code="BP-2")
    expect(page.locator(".pay-by-qr")).to_contain_text(f"{invoice.code} HOC PHI")
    assert_accessible(page)
    shot(page, f"fees-invoice-{device}")

    # A parent pays by scanning the QR: the bank's note carries the code, mangled; SePay tells the school.
    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", SEPAY_KEY)
    delivery = sepay.send(sepay.transfer(600_000, f"MBVCB.5512.{invoice.code.lower()}hoc phi.CT tu 0988"))
    assert delivery.attempts[-1].status == 201
    page.locator("#fee-nav").get_by_role("link", name="Tổng quan").click()
    expect(page.locator("[data-figure=collected]")).to_contain_text("Đã thu 600.000 đ / 1.800.000 đ")
    expect(page.locator("#today")).to_contain_text("600.000 đ")
    shot(page, f"fees-home-paid-{device}")

    page.locator("#fee-nav").get_by_role("link", name="Đợt thu").click()
    page.get_by_role("link", name="Tháng 12/2026").click()
    page.locator("#invoices").get_by_role("link", name="Lê Thị Bình").click()
    expect(page.locator("[data-outstanding]")).to_have_text("0 đ")
    page.locator("[data-payment]").get_by_role("link", name=re.compile(r"^\d{4}-\d{6}$")).click()
    expect(page.get_by_text("BIÊN LAI THU TIỀN")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sáu trăm nghìn đồng")
    shot(page, f"fees-receipt-{device}")

    page.goto("/s/test-a/fees/export/")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải tệp các khoản đã thu").click()
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    rows = [[cell for cell in row] for row in workbook.active.iter_rows(values_only=True)]
    assert any(invoice.code in row and 600_000 in row for row in rows), rows
    shot(page, f"fees-exports-{device}")
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_an_exemption_is_requested_with_evidence_and_the_principal_approves_it(
    browser, live_server_url, school_with_pupils, django_db_blocker, viewport, tmp_path
):
    device = "phone" if viewport["width"] < 500 else "laptop"
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        FeeItem.objects.create(
            year=SchoolYear.objects.get(is_current=True), name="Tiền ăn bán trú", amount=600_000, unit="month"
        )
    evidence = tmp_path / "ho-ngheo.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n")

    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, PHONE)
    page.goto("/s/test-a/fees/")
    page.locator("#fee-nav").get_by_role("link", name="Miễn giảm").click()
    page.get_by_role("link", name="Đề nghị miễn giảm").first.click()
    page.get_by_label("Mã học sinh").fill("BP-3")
    page.get_by_label("Khoản thu").select_option(label="Tiền ăn bán trú")
    page.get_by_label("Mức miễn giảm").fill("50")
    page.get_by_label("Lý do và căn cứ").fill("Hộ nghèo, theo Nghị định 81/2021/NĐ-CP")
    page.get_by_label("Minh chứng (PDF, JPEG hoặc PNG)").set_input_files(str(evidence))
    page.get_by_role("button", name="Gửi đề nghị").click()
    expect(
        page.get_by_text("Đã gửi đề nghị miễn giảm cho Phạm Minh Châu; chờ hiệu trưởng duyệt.")
    ).to_be_visible()
    shot(page, f"fees-reduction-requested-{device}")
    context.close()

    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, "0900000012")  # the principal
    page.goto("/s/test-a/")
    page.get_by_role("link", name="Học phí").click()
    page.locator("#fee-nav").get_by_role("link", name="Miễn giảm").click()
    row = page.locator("tr", has_text="Phạm Minh Châu")
    expect(row).to_contain_text("50%")
    row.get_by_role("link", name="Xem và duyệt").click()
    expect(page.get_by_role("link", name="Mở minh chứng")).to_be_visible()
    page.get_by_role("button", name="Không duyệt").click()
    expect(page.get_by_text("Hãy ghi lý do không duyệt.")).to_be_visible()
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(page.get_by_text("Đã duyệt miễn giảm cho Phạm Minh Châu")).to_be_visible()
    assert_accessible(page)
    shot(page, f"fees-reduction-approved-{device}")
    context.close()
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        reduction = FeeReduction.objects.get()
        assert reduction.status == FeeReduction.Status.APPROVED and reduction.evidence.name.endswith(".pdf")
