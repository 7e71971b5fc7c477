"""The accountant's money pages: today's transactions (filtered by day and status, paginated, sender's account
masked), the unmatched queue, and a transaction's page where what is left is assigned to an invoice found by
code or name, marked refunded, or a payment reversed, each after a confirmation, with the ledger's
Vietnamese refusals. The principal sees and cannot act; teachers, parents and another school's accountant
get 404."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from payments.ledger.services import Incoming, transaction_record
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, Receipt
from schoolbook.audit.models import AuditEvent
from students.models import SchoolClass
from students.services import staff_add
from tests.conftest import assert_refused, confirm_token
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol

pytestmark = pytest.mark.django_db
BASE = "/s/test-a/fees/transactions/"
UNMATCHED = BASE + "unmatched/"


def _incoming(provider_id, amount, note, *, days_ago=0, account="0123456789"):
    moment = timezone.now() - datetime.timedelta(days=days_ago)
    return Incoming(source="sepay", provider_id=provider_id, amount=amount, note=note, occurred_at=moment,
                    counter_account=account)  # fmt: skip


@pytest.fixture
def money(school):
    """Two children billed 500.000 đ each; An's transfer matched by its code, Bình's mother's 300.000 đ
    without a code (unmatched), an old unmatched one, the accountant signed in."""
    accountant = staff_make(school, "0911000301", "Lưu Kế Toán", roles=[Role.ACCOUNTANT])
    a1 = SchoolClass.objects.get(name="6A1")
    an = student_enrol("LM-1", a1, "Nguyễn Văn An")
    binh = student_enrol("LM-2", a1, "Trần Thị Bình")
    guardian_link(an, "0911000302")
    guardian_link(binh, "0911000303")
    round_invoice(school.admin_a, round_make(accountant, [fee_item_make("Tiền ăn", 500_000)]))
    inv_an, inv_binh = Invoice.objects.get(student=an), Invoice.objects.get(student=binh)
    matched, _ = transaction_record(_incoming("lm-1", 500_000, f"MBVCB.1.{inv_an.code}.CT tu 0123456789"))
    unmatched, _ = transaction_record(
        _incoming("lm-2", 300_000, "chuyen tien hoc phi con Binh", account="9704229876")
    )
    old, _ = transaction_record(_incoming("lm-3", 120_000, "ung ho quy lop", days_ago=3))
    client = Client()
    client.force_login(accountant.user)
    return dict(client=client, accountant=accountant, an=inv_an, binh=inv_binh, matched=matched,
                unmatched=unmatched, old=old)  # fmt: skip


def _row(pk) -> BankTransaction:
    with schema_context("school_test_a"):
        return BankTransaction.objects.get(pk=pk)


def test_todays_transactions_by_default_with_filters_and_masked_accounts(money):
    page = money["client"].get(BASE).content.decode()
    assert (
        f'data-transaction="{money["matched"].pk}"' in page
        and f'data-transaction="{money["unmatched"].pk}"' in page
    )
    assert f'data-transaction="{money["old"].pk}"' not in page  # three days ago
    assert "2 giao dịch, tổng 800.000 đ." in page and "Chưa khớp: 300.000 đ." in page
    assert (
        "••••9876" in page
        and "9704229876" not in page
        and "0123456789" not in page.replace("CT tu 0123456789", "")
    )
    only_unmatched = money["client"].get(BASE, {"status": "unmatched"}).content.decode()
    assert f'data-transaction="{money["matched"].pk}"' not in only_unmatched
    day = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    that_day = money["client"].get(BASE, {"day": day}).content.decode()
    assert f'data-transaction="{money["old"].pk}"' in that_day and "1 giao dịch, tổng 120.000 đ." in that_day
    empty = money["client"].get(BASE, {"day": "2020-01-01"}).content.decode()
    assert "Không có giao dịch nào trong ngày này." in empty and "Xem các khoản chưa khớp" in empty
    bad = money["client"].get(BASE, {"day": "31/02/2026", "status": "lost"})
    assert bad.status_code == 200 and "Nhập ngày hợp lệ (dd/mm/yyyy)." in bad.content.decode()


def test_the_list_is_paginated(money):
    for number in range(55):
        transaction_record(_incoming(f"lm-page-{number}", 1_000, "khong ro"))
    first = money["client"].get(BASE).content.decode()
    second = money["client"].get(BASE, {"page": 2}).content.decode()
    assert "Trang 1 / 2" in first and first.count("data-transaction=") == 50
    assert second.count("data-transaction=") == 7


def test_the_unmatched_queue_holds_what_no_invoice_took_oldest_first(money):
    page = money["client"].get(UNMATCHED).content.decode()
    assert page.index(f'data-transaction="{money["old"].pk}"') < page.index(
        f'data-transaction="{money["unmatched"].pk}"'
    )
    assert f'data-transaction="{money["matched"].pk}"' not in page


def test_the_accountant_finds_the_invoice_by_name_and_assigns_after_confirming(money):
    client, row, binh = money["client"], money["unmatched"], money["binh"]
    page = client.get(f"{BASE}{row.pk}/", {"q": "binh"}).content.decode()  # accents and case ignored
    assert f'data-invoice="{binh.code}"' in page and f'data-invoice="{money["an"].code}"' not in page
    by_code = client.get(f"{BASE}{row.pk}/", {"q": f"ck {binh.code.lower()}"}).content.decode()
    assert f'data-invoice="{binh.code}"' in by_code
    nothing = client.get(f"{BASE}{row.pk}/", {"q": "Không Có Ai"}).content.decode()
    assert "Không tìm thấy hoá đơn nào" in nothing

    assign = f"{BASE}{row.pk}/assign/"
    preview = client.post(assign, {"invoice": binh.pk, "amount": "300.000"})
    text = preview.content.decode()
    assert preview.status_code == 200 and "Gán tiền cho hoá đơn" in text
    assert f"Gán 300.000 đ của giao dịch này cho hoá đơn {binh.code} của Trần Thị Bình" in text
    assert _row(row.pk).unapplied == 300_000  # nothing done yet
    done = client.post(
        assign, {"invoice": binh.pk, "amount": "300000", "confirm": confirm_token(preview)}, follow=True
    )
    assert f"Đã gán 300.000 đ cho hoá đơn {binh.code}." in done.content.decode()
    with schema_context("school_test_a"):
        invoice = Invoice.objects.get(pk=binh.pk)
        payment = Payment.objects.get(invoice=invoice)
        (event,) = AuditEvent.objects.filter(action="payments.assign")
        assert Receipt.objects.filter(payment=payment).exists()
    assert (invoice.state, invoice.paid, payment.created_by_id) == (
        InvoiceState.PARTLY_PAID,
        300_000,
        money["accountant"].user_id,
    )
    assert (_row(row.pk).status, _row(row.pk).unapplied) == ("matched", 0)
    assert event.after["invoice"] == binh.code
    assert "Trần Thị Bình" in done.content.decode() and "Lưu Kế Toán" in done.content.decode()


@pytest.mark.parametrize(
    "amount, error",
    [
        ("-5", "Số tiền phải lớn hơn 0."),
        ("0", "Số tiền phải lớn hơn 0 và không quá 1 tỷ đồng."),
        ("1,5", "Số tiền là số đồng nguyên"),
        ("150000.5", "Số tiền là số đồng nguyên"),
        ("mười nghìn", "Số tiền là số đồng nguyên"),
        ("", "Hãy nhập số tiền gán."),
        ("300001", "Số tiền phải từ 1 đến 300000 đồng (phần còn lại của giao dịch)."),
    ],
)
def test_a_wrong_amount_is_refused_with_the_reason(money, amount, error):
    row = money["unmatched"]
    response = money["client"].post(
        f"{BASE}{row.pk}/assign/?q=binh", {"invoice": money["binh"].pk, "amount": amount}
    )
    assert response.status_code == 400 and error in response.content.decode()
    assert _row(row.pk).unapplied == 300_000


def test_a_cancelled_invoice_or_a_refunded_transaction_cannot_be_assigned(money):
    row = money["unmatched"]
    with schema_context("school_test_a"):
        Invoice.objects.filter(pk=money["binh"].pk).update(state=InvoiceState.CANCELLED)
    response = money["client"].post(
        f"{BASE}{row.pk}/assign/", {"invoice": money["binh"].pk, "amount": "1000"}
    )
    assert (
        response.status_code == 400 and "Hoá đơn này không còn (có thể đã huỷ)." in response.content.decode()
    )

    # Refunded by a colleague between the preview and the confirmation: said, nothing assigned.
    preview = money["client"].post(f"{BASE}{row.pk}/assign/", {"invoice": money["an"].pk, "amount": "1000"})
    with schema_context("school_test_a"):
        BankTransaction.objects.filter(pk=row.pk).update(status="refunded")
    stale = money["client"].post(
        f"{BASE}{row.pk}/assign/",
        {"invoice": money["an"].pk, "amount": "1000", "confirm": confirm_token(preview)},
        follow=True,
    )
    assert "Giao dịch này đã được đánh dấu hoàn tiền." in stale.content.decode()
    assert _row(row.pk).unapplied == 300_000 and not stale.redirect_chain[0][0].endswith("assign/")


def test_refunding_what_is_left_asks_first_and_needs_a_note(money):
    client, row = money["client"], money["unmatched"]
    refund = f"{BASE}{row.pk}/refund/"
    missing = client.post(refund, {"note": " "})
    assert missing.status_code == 400 and "Hãy ghi lại đã hoàn tiền thế nào" in missing.content.decode()
    note = "Đã chuyển trả 300.000 đ về tài khoản người gửi ngày 05/09 (chuyển nhầm trường)."
    preview = client.post(refund, {"note": note})
    assert "Đánh dấu đã hoàn 300.000 đ?" in preview.content.decode() and _row(row.pk).status == "unmatched"
    done = client.post(refund, {"note": note, "confirm": confirm_token(preview)}, follow=True)
    assert "Đã ghi nhận hoàn tiền." in done.content.decode()
    assert (_row(row.pk).status, _row(row.pk).refund_note) == ("refunded", note)
    assert f'data-transaction="{row.pk}"' not in client.get(UNMATCHED).content.decode()
    again = client.post(refund, {"note": note, "confirm": confirm_token(preview)}, follow=True)
    assert "Giao dịch này không còn tiền chưa khớp để hoàn." in again.content.decode()


def test_a_payment_is_reversed_with_a_reason_after_confirming_and_only_once(money):
    client, row = money["client"], money["matched"]
    with schema_context("school_test_a"):
        payment = Payment.objects.get(transaction=row)
    reverse = f"/s/test-a/fees/payments/{payment.pk}/reverse/"
    missing = client.post(reverse, {"reason": ""})
    assert missing.status_code == 400 and "Hãy ghi lý do điều chỉnh." in missing.content.decode()
    reason = "Phụ huynh ghi nhầm mã của anh trai"
    preview = client.post(reverse, {"reason": reason})
    assert f"Điều chỉnh khoản 500.000 đ của hoá đơn {money['an'].code}?" in preview.content.decode()
    done = client.post(reverse, {"reason": reason, "confirm": confirm_token(preview)}, follow=True)
    assert "Đã điều chỉnh" in done.content.decode()
    with schema_context("school_test_a"):
        invoice = Invoice.objects.get(pk=money["an"].pk)
        assert Receipt.objects.get(payment=payment).voided_at is not None
    assert (invoice.state, invoice.paid) == (InvoiceState.OPEN, 0)
    assert (_row(row.pk).status, _row(row.pk).unapplied) == ("unmatched", 500_000)
    page = client.get(f"{BASE}{row.pk}/").content.decode()
    assert "đã điều chỉnh" in page and reason in page and f'action="{reverse}"' not in page
    again = client.post(reverse, {"reason": reason, "confirm": confirm_token(preview)}, follow=True)
    assert "Khoản thanh toán này đã được điều chỉnh trước đó." in again.content.decode()


def test_the_principal_sees_the_pages_and_cannot_act(money, world):
    principal = Client()
    principal.force_login(world.principal_a)
    row = money["unmatched"]
    page = principal.get(f"{BASE}{row.pk}/", {"q": "binh"}).content.decode()
    assert "Trần Thị Bình" not in page and "Gán" not in page.split('id="payments"')[1]
    assert principal.get(BASE).status_code == 200 and principal.get(UNMATCHED).status_code == 200
    with schema_context("school_test_a"):
        payment = Payment.objects.get(transaction=money["matched"])
    actions = [
        (f"{BASE}{row.pk}/assign/", {"invoice": money["binh"].pk, "amount": "1000", "confirm": "x"}),
        (f"{BASE}{row.pk}/refund/", {"note": "x", "confirm": "x"}),
        (f"/s/test-a/fees/payments/{payment.pk}/reverse/", {"reason": "x", "confirm": "x"}),
    ]
    assert_refused(principal, world.principal_a, actions)


def test_teachers_parents_and_another_schools_accountant_get_404(money, world, client):
    row = money["unmatched"]
    with schema_context("school_test_a"):
        payment = Payment.objects.get(transaction=money["matched"])
    pages = [
        (BASE, {}), (UNMATCHED, {}), (f"{BASE}{row.pk}/", {}),
        (f"{BASE}{row.pk}/assign/", {"invoice": money["binh"].pk, "amount": "1000"}),
        (f"{BASE}{row.pk}/refund/", {"note": "x"}),
        (f"/s/test-a/fees/payments/{payment.pk}/reverse/", {"reason": "x"}),
    ]  # fmt: skip
    with schema_context("school_test_b"):
        accountant_b = staff_add(
            actor=world.admin_a, school=world.school_b, phone="0911000304", full_name="Kế Toán B",
            roles=[Role.ACCOUNTANT],
        ).user  # fmt: skip
    for user in (world.teacher_a, world.parent, world.staff_b, world.outsider_parent, accountant_b):
        client.force_login(user)
        assert_refused(client, user, pages)
    client.logout()
    assert_refused(client, None, pages)
    assert _row(row.pk).unapplied == 300_000
