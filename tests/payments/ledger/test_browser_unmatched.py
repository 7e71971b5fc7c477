"""The accountant's journey in a real browser, at a phone's and a laptop's width: a parent's transfer came
through SePay without the invoice's code, so it waits in the unmatched queue; the accountant opens it,
finds the child's invoice by name, assigns the money after the confirmation, and the family gets its
confirmation from the worker. Every page checked by axe-core and for sideways scrolling; screenshots in
artifacts/."""

import random

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts.models import User
from accounts.roles import Role
from messaging.models import Delivery, Message
from payments.feeds.services import feed_account_save
from payments.models import BankTransaction, Invoice, Payment
from students.models import StaffMember
from students.services import staff_add
from tenants.models import School, SchoolAffiliation
from tests.browser_checks import assert_accessible, assert_no_sideways_scroll
from tests.conftest import ARTIFACTS, TEST_PASSWORD, sign_in, wait_for
from tests.fakes.bank_feeds import SepaySender
from tests.payments.live import SCHEMA, fee_class_make, fee_class_remove

pytestmark = pytest.mark.browser
KEY = "sepay-browser-walk-key-01"


def _phone() -> str:
    return "0916" + "".join(random.choices("0123456789", k=6))


@pytest.fixture
def queue(django_db_blocker, live_server_url, celery_worker):
    """Committed: Trần Thị Bình billed 500.000 đ, an accountant who signs in with a password, and the
    school's SePay key. Removed afterwards (the accountant's user stays, as other browser tests do)."""
    with django_db_blocker.unblock():
        admin = User.objects.get(phone="+84900000011")
        fees = fee_class_make(admin, [("Trần Thị Bình", _phone()), ("Lê Văn Cường", _phone())], 500_000)
        with schema_context(SCHEMA):
            feed_account_save(actor=admin, provider="sepay", key=KEY)
            school = School.objects.get(code="test-a")
            staff = staff_add(actor=admin, school=school, phone=_phone(), full_name="Lưu Kế Toán",
                              roles=[Role.ACCOUNTANT])  # fmt: skip
        staff.user.set_password(TEST_PASSWORD)
        staff.user.save(update_fields=["password"])
    yield fees, staff.user
    with django_db_blocker.unblock():
        fee_class_remove(fees)
        with schema_context(SCHEMA):
            StaffMember.objects.filter(pk=staff.pk).delete()
        SchoolAffiliation.objects.filter(user=staff.user).delete()


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}])
def test_the_accountant_matches_an_unmatched_transfer(
    browser, live_server_url, queue, django_db_blocker, viewport
):
    fees, accountant = queue
    name = "phone" if viewport["width"] < 500 else "laptop"
    invoice = fees.invoices[0]
    sepay = SepaySender(f"{live_server_url}/hooks/sepay/test-a/", KEY)
    body = sepay.transfer(500_000, "NGUYEN THI HOA chuyen tien hoc phi chau Binh lop 6")
    assert sepay.send(body).attempts[-1].status == 201
    with django_db_blocker.unblock(), schema_context(SCHEMA):
        row = BankTransaction.objects.get(source="sepay", provider_id=str(body["id"]))
    assert (row.status, row.unapplied) == ("unmatched", 500_000)

    context = browser.new_context(base_url=live_server_url, locale="vi-VN", viewport=viewport)
    page = context.new_page()
    sign_in(page, accountant.phone)
    expect(page.locator("h1").first).to_be_visible()
    page.goto("/s/test-a/fees/transactions/unmatched/")
    expect(page.locator("h1")).to_have_text("Khoản chưa khớp")
    line = page.locator(f'[data-transaction="{row.pk}"]')
    expect(line).to_contain_text("500.000 đ")
    expect(line).to_contain_text("chau Binh lop 6")
    _checked(page, f"unmatched-queue-{name}")

    line.get_by_role("link").click()
    expect(page.locator("[data-unapplied]")).to_have_text("500.000 đ")
    page.get_by_label("Mã hoá đơn hoặc tên học sinh").fill("bình")
    page.get_by_role("button", name="Tìm").click()
    candidate = page.locator(f'[data-invoice="{invoice.code}"]')
    expect(candidate).to_contain_text("Trần Thị Bình")
    expect(page.locator("[data-invoice]")).to_have_count(1)  # Lê Văn Cường is not a match
    _checked(page, f"unmatched-search-{name}")

    expect(candidate.get_by_label(f"Số tiền gán cho {invoice.code}")).to_have_value("500000")
    candidate.get_by_role("button", name="Gán").click()
    expect(page.locator("h1")).to_have_text(f"Gán tiền cho hoá đơn {invoice.code}?")
    expect(page.locator("#confirm")).to_contain_text(
        "Nhà trường lập biên lai và gửi tin xác nhận cho phụ huynh."
    )
    _checked(page, f"unmatched-confirm-{name}")
    page.get_by_role("button", name="Xác nhận gán").click()

    expect(page.locator(".flash")).to_contain_text(f"Đã gán 500.000 đ cho hoá đơn {invoice.code}.")
    expect(page.locator("[data-status]").first).to_have_text("đã khớp")
    expect(page.locator("#payments")).to_contain_text("Trần Thị Bình")
    expect(page.locator("#payments")).to_contain_text("Lưu Kế Toán")
    expect(page.locator("#assign")).to_have_count(0)  # nothing left to assign
    _checked(page, f"unmatched-assigned-{name}")

    page.get_by_role("link", name="Giao dịch trong ngày").click()
    expect(page.locator(f'[data-transaction="{row.pk}"]')).to_contain_text("đã khớp")
    _checked(page, f"transactions-today-{name}")
    page.get_by_role("link", name="Nhận thông báo chuyển khoản").click()
    expect(page.locator("#sepay-feed [data-feed-state=saved]")).to_contain_text("kết thúc bằng …y-01")
    expect(page.locator("#sepay-feed [data-feed-webhook]")).to_have_text(
        f"{live_server_url}/hooks/sepay/test-a/"
    )
    _checked(page, f"feeds-settings-{name}")
    context.close()

    def confirmation():
        with django_db_blocker.unblock(), schema_context(SCHEMA):
            payment = Payment.objects.get(transaction=row)
            sent = Message.objects.filter(
                reference=f"payment:{payment.pk}", deliveries__status=Delivery.Status.SENT
            ).first()
            return sent and (sent, Invoice.objects.get(pk=invoice.pk))

    message, paid = wait_for(confirmation, timeout=30)
    assert paid.state == "paid"
    assert f"đã nhận 500.000 đ học phí ({invoice.code}) của Trần Thị Bình. Biên lai số" in message.body


def _checked(page, shot: str) -> None:
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"fees-{shot}.png"), full_page=True)
