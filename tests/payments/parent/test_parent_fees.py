"""The parent's fee pages (payments.parent): per child what is owed, due, paid and exempted; an invoice's
VietQR (decoded back to the school's account, the amount still owed and a note with the invoice code), its
PNG, the details to copy and its receipts; the family QR; a school without a receiving account; voluntary
items chosen and withdrawn after a confirmation, audited. Everyone but the child's guardian gets 404."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.roles import Role
from payments import vietqr
from payments.codes import codes_in
from payments.invoicing.plan import round_plan
from payments.invoicing.qr import family_code
from payments.models import FeeOptIn, InvoiceState
from schoolbook.audit.models import AuditEvent
from students.services import staff_add
from tests.conftest import assert_refused, confirm_token, signed_in
from tests.factories import (
    money_receive,
    round_invoice,
    round_make,
)
from tests.payments.fees_world import Fees

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(school):
    return Fees(school)


def child_section(page: str, student) -> str:
    start = page.index(f'aria-labelledby="fee-child-{student.pk}"')
    return page[start : page.index("</section>", start)]


def test_the_fees_page_shows_each_child_owed_due_paid_and_exempted(fees):
    due = fees.an_invoice.due_on.strftime("%d/%m/%Y")
    assert fees.an_invoice.total == 250_000 + 884_520  # half the meals waived; no club without an opt-in
    money_receive(300_000, f"{fees.an_invoice.code} hoc phi")
    page = signed_in(fees.mother).get("/s/test-a/fees/my/").content.decode()
    an = child_section(page, fees.an)
    assert "834.520 đ" in an  # owed: 1.134.520 − 300.000
    assert due in an and "300.000 đ" in an and "250.000 đ" in an  # due, paid, exempted
    assert "Nộp một phần" in an and fees.an_invoice.code in an
    assert "Câu lạc bộ bóng đá" in an and "150.000 đ mỗi tháng" in an
    em = child_section(page, fees.em)
    assert "1.384.520 đ" in em and "Câu lạc bộ bóng đá" not in em  # the club is for 6A1
    assert "Lê Văn Bình" not in page and fees.binh_invoice.code not in page


def test_the_invoice_page_has_a_vietqr_of_what_is_still_owed_with_the_invoice_code(fees):
    money_receive(100_000, fees.an_invoice.code)
    client = signed_in(fees.mother)
    response = client.get(f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/")
    page = response.content.decode()
    context = response.context
    transfer = vietqr.decode(context["details"].payload)
    assert (transfer.bank_bin, transfer.account) == ("970436", "0011001234567")
    assert transfer.amount == 1_034_520
    assert codes_in(transfer.note) == [fees.an_invoice.code] and transfer.bill == fees.an_invoice.code
    assert '<svg role="img"' in page and "Lưu ảnh QR" in page
    for value in ("0011001234567", "TRUONG THCS THU NGHIEM A", "1034520", transfer.note):
        assert f'data-copy="{value}"' in page
    assert "Vietcombank" in page and "Ngân hàng TMCP Ngoại thương Việt Nam" in page
    assert "−250.000 đ" in page  # the reduction on its line
    png = client.get(f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/qr.png")
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert f"VietQR-{fees.an_invoice.code}.png" in png["Content-Disposition"]
    assert "Biên lai số" in page and "/fees/receipts/" in page  # the partial payment's receipt


def test_a_paid_invoice_has_no_qr_and_lists_its_receipts(fees):
    money_receive(fees.em_invoice.total, fees.em_invoice.code)
    client = signed_in(fees.mother)
    page = client.get(f"/s/test-a/fees/my/invoices/{fees.em_invoice.pk}/").content.decode()
    assert "Hoá đơn đã nộp đủ" in page and '<svg role="img"' not in page  # no QR code
    assert client.get(f"/s/test-a/fees/my/invoices/{fees.em_invoice.pk}/qr.png").status_code == 404
    home = client.get("/s/test-a/fees/my/").content.decode()
    assert "Đã nộp, đã huỷ" in home and "Tải PDF" in home


def test_one_family_qr_pays_every_open_invoice(fees):
    response = signed_in(fees.mother).get("/s/test-a/fees/my/")
    family = response.context["family"]
    transfer = vietqr.decode(family.payload)
    assert transfer.amount == fees.an_invoice.total + fees.em_invoice.total
    assert codes_in(transfer.note) == [family_code(fees.guardian.pk)]
    assert "Nộp một lần cho tất cả" in response.content.decode()
    money_receive(transfer.amount, f"MBVCB.123.{transfer.note}.CT tu 0123")  # as the bank delivers it
    for invoice in (fees.an_invoice, fees.em_invoice):
        invoice.refresh_from_db()
        assert invoice.state == InvoiceState.PAID
    after = signed_in(fees.mother).get("/s/test-a/fees/my/")
    assert after.context["family"] is None and "Nộp một lần cho tất cả" not in after.content.decode()


def test_one_open_invoice_gets_no_family_qr(fees):
    money_receive(fees.em_invoice.total, fees.em_invoice.code)
    client = signed_in(fees.mother)
    assert client.get("/s/test-a/fees/my/").context["family"] is None
    assert client.get("/s/test-a/fees/my/family-qr.png").status_code == 404


def test_a_school_without_a_receiving_account_says_so_instead_of_a_qr(fees):
    fees.account.delete()
    client = signed_in(fees.mother)
    page = client.get(f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/").content.decode()
    assert "Nhà trường chưa khai báo tài khoản nhận học phí" in page and '<svg role="img"' not in page
    assert "Nhà trường chưa khai báo tài khoản" in client.get("/s/test-a/fees/my/").content.decode()
    assert client.get(f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/qr.png").status_code == 404


def test_only_the_childs_guardians_open_its_invoice(fees, world):
    paths = [
        (f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/", {}),
        (f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/qr.png", {}),
        (f"/s/test-a/fees/my/students/{fees.an.pk}/options/{fees.club.pk}/", {"confirm": "x"}),
    ]
    with schema_context(world.school_b.schema_name):
        accountant_b = staff_add(
            actor=world.admin_a, school=world.school_b, phone="0916000019", full_name="Kế Toán B",
            roles=[Role.ACCOUNTANT],
        ).user  # fmt: skip
    everyone_else = [
        fees.other_parent,  # the parent of another child
        world.parent,
        world.teacher_a,
        fees.accountant.user,  # staff see invoices on their own pages, not the parent's
        world.outsider_parent,  # a parent of another school
        accountant_b,  # another school's accountant
    ]
    for user in everyone_else:
        client = signed_in(user)
        for path, data in paths:
            assert client.get(path).status_code == 404, (user, path)
            assert client.post(path, data).status_code in (404, 405), (user, path)  # pages are GET only
        assert client.get("/s/test-a/fees/my/").status_code in (200, 404)
        if user in (world.teacher_a, fees.accountant.user, world.outsider_parent, accountant_b):
            assert client.get("/s/test-a/fees/my/").status_code == 404  # not a guardian here
    client = Client()
    assert_refused(client, None, [*paths, ("/s/test-a/fees/my/", {})])
    bystander = signed_in(fees.other_parent).get("/s/test-a/fees/my/").content.decode()
    assert "Lê Văn Bình" in bystander and "Nguyễn Văn An" not in bystander


def test_a_voluntary_item_is_chosen_then_withdrawn_after_a_confirmation(fees):
    client = signed_in(fees.mother)
    path = f"/s/test-a/fees/my/students/{fees.an.pk}/options/{fees.club.pk}/"
    preview = client.get(path)
    text = preview.content.decode()
    assert "150.000 đ mỗi tháng" in text and "cộng vào các hoá đơn sắp tới" in text
    assert client.post(path, {"confirm": "stale"}).status_code == 200  # shown again, nothing done
    assert not FeeOptIn.objects.filter(student=fees.an).exists()
    done = client.post(path, {"confirm": confirm_token(preview)})
    assert done.status_code == 302 and done["Location"] == "/s/test-a/fees/my/"
    opt_in = FeeOptIn.objects.get(student=fees.an, item=fees.club)
    assert opt_in.chosen_by == fees.mother
    event = AuditEvent.objects.get(action="payments.opt_in")
    assert event.actor == fees.mother and event.after["amount"] == 150_000
    # The next generation of the round adds it to An's invoice.
    (changed,) = round_plan(fees.round).changed
    assert changed[0] == fees.an_invoice and any(line[0] == fees.club.pk for line in changed[1].lines)

    withdraw = client.get(path)
    assert "Thôi đăng ký" in withdraw.content.decode()
    client.post(path, {"confirm": confirm_token(withdraw)})
    assert not FeeOptIn.objects.filter(student=fees.an).exists()
    assert AuditEvent.objects.filter(action="payments.opt_out", actor=fees.mother).count() == 1
    assert round_plan(fees.round).is_empty


def test_an_invoiced_voluntary_item_cannot_be_withdrawn_by_the_parent(fees, world):
    client = signed_in(fees.mother)
    path = f"/s/test-a/fees/my/students/{fees.an.pk}/options/{fees.club.pk}/"
    client.post(path, {"confirm": confirm_token(client.get(path))})
    october = round_make(
        fees.accountant,
        [fees.club],
        name="Tháng 10",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    round_invoice(world.admin_a, october)
    page = client.get("/s/test-a/fees/my/").content.decode()
    assert "Đã đăng ký, đã có trong hoá đơn" in page
    refused = client.get(path, follow=True)
    assert "không thể tự thôi đăng ký" in refused.content.decode()
    assert FeeOptIn.objects.filter(student=fees.an, item=fees.club).exists()


def test_an_item_outside_the_childs_classes_cannot_be_chosen(fees):
    client = signed_in(fees.mother)
    path = f"/s/test-a/fees/my/students/{fees.em.pk}/options/{fees.club.pk}/"  # the club is for 6A1
    assert client.get(path).status_code == 404
    assert client.post(path, {"confirm": "x"}).status_code == 404
    compulsory = f"/s/test-a/fees/my/students/{fees.an.pk}/options/{fees.meals.pk}/"
    assert client.get(compulsory).status_code == 404
