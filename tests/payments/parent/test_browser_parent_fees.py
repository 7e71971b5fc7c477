"""A parent pays from a phone (390×844, real chromium): /home/ shows the child's debt → the fee page → the
invoice with its VietQR and copy buttons (the note copied to the clipboard is the QR's) → her transfer of
the rest, its note rewritten by the bank, marks the invoice paid → the receipt of an earlier payment; no
page scrolls sideways and axe-core finds nothing. Then a laptop (1366×900) looks at the receipt as it
prints. Screenshots in artifacts/."""

import datetime
import random
from uuid import uuid4

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import HomeVisit, User
from payments import vietqr
from payments.codes import INVOICE, code_make
from payments.invoicing.qr import invoice_payment
from payments.models import (
    BankTransaction,
    CollectionRound,
    FeeItem,
    Invoice,
    InvoiceLine,
    Payment,
    Receipt,
    ReceivingAccount,
)
from students.models import Enrolment, GradeLevel, Guardian, SchoolClass, SchoolYear, StaffMember, Student
from tenants.models import School, SchoolAffiliation
from tenants.services import affiliation_add
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, sign_in, with_password
from tests.factories import guardian_link, money_receive, student_enrol

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


def _invoice_with_a_partial_payment(tag, parent) -> dict:
    """In school A: the receiving account, the parent's child in a new class, an invoice of meals (half
    waived) and insurance due in ten days, and 300.000 đ of it received by transfer."""
    year = SchoolYear.objects.get(is_current=True)
    school_class = SchoolClass.objects.create(
        name=f"6Q-{tag}", grade=GradeLevel.objects.get(number=6), year=year
    )
    child = student_enrol(f"QR-{tag}", school_class, "Phạm Nguyễn Bảo Ngọc")
    guardian_link(child, parent.phone, full_name=parent.full_name, user=parent)
    account = ReceivingAccount.objects.create(
        bank_bin="970436", account_number="0011001234567", account_name="TRUONG THCS THU NGHIEM A"
    )
    meals = FeeItem.objects.create(year=year, name=f"Tiền ăn {tag}", amount=500_000, unit="month")
    insurance = FeeItem.objects.create(year=year, name=f"Bảo hiểm y tế {tag}", amount=884_520, unit="once")
    due = timezone.localdate() + datetime.timedelta(days=10)
    creator = StaffMember.objects.order_by("pk").first()
    round_ = CollectionRound.objects.create(year=year, name=f"Học kỳ I {tag}", due_on=due, created_by=creator)
    invoice = Invoice.objects.create(round=round_, student=child, due_on=due, total=1_134_520)
    invoice.code = code_make(INVOICE, invoice.pk)
    invoice.save(update_fields=["code"])
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(invoice=invoice, item=meals, description=meals.name, unit_amount=500_000,
                        reduction=250_000, amount=250_000),
            InvoiceLine(invoice=invoice, item=insurance, description=insurance.name, unit_amount=884_520,
                        amount=884_520),
        ]
    )  # fmt: skip
    row = money_receive(300_000, f"{invoice.code} HOC PHI", reference=f"FT{tag}")
    return {"invoice": invoice, "row": row, "account": account, "items": [meals, insurance], "round": round_,
            "child": child, "school_class": school_class}  # fmt: skip


@pytest.fixture
def paying_parent(django_db_setup, django_db_blocker, settings):
    """Committed (the live server must see it): a parent with a password and her child's invoice in school A
    (`_invoice_with_a_partial_payment`). Removed afterwards."""
    settings.GATEWAYS = {}
    with django_db_blocker.unblock():
        school = School.objects.get(code="test-a")
        phone = "0915" + "".join(random.choices("0123456789", k=6))
        parent = with_password(User.objects.create_user(phone, full_name="Phạm Thị Hồng Nhung"))
        affiliation_add(user=parent, school=school, is_guardian=True)
        with schema_context(school.schema_name):
            made = _invoice_with_a_partial_payment(uuid4().hex[:6], parent)
    yield parent, made
    with django_db_blocker.unblock():
        with schema_context("school_test_a"):
            Receipt.objects.filter(payment__invoice=made["invoice"]).delete()
            Payment.objects.filter(invoice=made["invoice"]).delete()  # a queryset: the model itself refuses
            BankTransaction.objects.filter(note__icontains=made["invoice"].code).delete()
            made["invoice"].delete()
            made["round"].delete()
            FeeItem.objects.filter(pk__in=[item.pk for item in made["items"]]).delete()
            made["account"].delete()
            Guardian.objects.filter(user=parent).delete()
            Enrolment.objects.filter(student=made["child"]).delete()
            Student.objects.filter(pk=made["child"].pk).delete()
            made["school_class"].delete()
        HomeVisit.objects.filter(user=parent).delete()
        SchoolAffiliation.objects.filter(user=parent).delete()


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _check(page, name):
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    _shot(page, name)


def test_a_parent_pays_from_her_phone_and_keeps_the_receipt(
    live_server_url, paying_parent, browser, django_db_blocker
):
    parent, made = paying_parent
    invoice = made["invoice"]
    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=PHONE, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
    page = context.new_page()
    sign_in(page, parent.phone.replace("+84", "0"))
    expect(page).to_have_url(f"{live_server_url}/home/")
    card = page.locator(".child-card", has_text="Phạm Nguyễn Bảo Ngọc")
    expect(card.locator(".hub-fees")).to_have_text(f"Học phí: còn nợ 834.520 đ (hạn {invoice.due_on:%d/%m})")
    _check(page, "parent-fees-home-390")

    card.get_by_role("link", name="Học phí: còn nợ").click()
    expect(page.locator("h1")).to_have_text("Học phí và các khoản thu")
    child = page.locator(".fee-child", has_text="Phạm Nguyễn Bảo Ngọc")
    expect(child.locator(".fee-totals .owed dd")).to_have_text("834.520 đ")
    expect(child).to_contain_text("250.000 đ")  # exempted
    _check(page, "parent-fees-390")

    child.get_by_role("link", name="Xem và nộp bằng mã QR").click()
    expect(page.locator("h1")).to_contain_text("Phạm Nguyễn Bảo Ngọc")
    qr = page.locator(".fee-qr svg")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box["width"] >= 280 and box["height"] >= 280  # large enough to scan from another phone
    expect(page.get_by_role("link", name="Lưu ảnh QR")).to_be_visible()
    note = page.locator(".fee-note").inner_text()
    page.get_by_role("button", name="Sao chép nội dung chuyển khoản").click()
    expect(page.locator("[data-copy-status]")).to_have_text(f"Đã sao chép: {note}")
    assert page.evaluate("() => navigator.clipboard.readText()") == note
    page.get_by_role("button", name="Sao chép số tiền").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == "834520"
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        details = invoice_payment(Invoice.objects.get(pk=invoice.pk), made["account"])
    decoded = vietqr.decode(details.payload)
    assert decoded.note == note and decoded.amount == 834_520 and decoded.account == "0011001234567"
    with page.expect_download() as download:
        page.get_by_role("link", name="Lưu ảnh QR").click()
    assert download.value.suggested_filename == f"VietQR-{invoice.code}.png"
    _check(page, "parent-invoice-390")

    # She pays the rest from her banking app with the copied note; the bank rewrites it, the feed reports it.
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        money_receive(834_520, f"MBVCB.7731.{note.replace(' ', '')}.CT tu 0915")
    page.reload()
    expect(page.locator("main")).to_contain_text("Hoá đơn đã nộp đủ. Cảm ơn bạn!")
    expect(page.locator(".fee-qr svg")).to_have_count(0)  # nothing left to pay: no QR
    _check(page, "parent-invoice-paid-390")

    page.get_by_role("link", name="Xem", exact=True).first.click()
    expect(page.locator(".receipt h1")).to_have_text("BIÊN LAI THU TIỀN")
    expect(page.locator(".receipt")).to_contain_text("Ba trăm nghìn đồng")
    expect(page.locator(".receipt")).to_contain_text("Chuyển khoản")
    _check(page, "parent-receipt-390")
    context.close()

    laptop = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=LAPTOP)
    page = laptop.new_page()
    sign_in(page, parent.phone.replace("+84", "0"))
    with django_db_blocker.unblock(), schema_context("school_test_a"):
        receipt = Receipt.objects.get(payment__transaction=made["row"])
    page.goto(f"/s/test-a/fees/receipts/{receipt.pk}/")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator(".receipt-toolbar")).to_be_hidden()
    _shot(page, "receipt-print-1366")
    # What "Print / Save as PDF" gives, to look at (pdftoppm): one A4 page.
    (ARTIFACTS / "receipt-print.pdf").write_bytes(page.pdf(prefer_css_page_size=True))
    laptop.close()
