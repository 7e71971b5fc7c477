"""The accountant's and the principal's fee pages through the test client: catalogue, reductions, rounds
with their preview, invoices, the receiving account and the dashboard; validation and who may do what."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts.roles import Role
from payments.ledger.services import Incoming, transaction_record
from payments.models import CollectionRound, FeeItem, FeeReduction, Invoice, InvoiceState, ReceivingAccount
from schoolbook.audit.models import AuditEvent
from students.models import SchoolClass
from tests.conftest import signed_in
from tests.factories import staff_make, student_enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(school):
    a1 = SchoolClass.objects.get(name="6A1")
    accountant = staff_make(school, "0911000101", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    student_enrol("FP-1", a1, "Nguyễn Văn An")
    student_enrol("FP-2", a1, "Lê Thị Bình")
    return accountant


def url(path):
    return f"/s/test-a/fees/{path}"


def test_the_accountant_sets_up_the_year_and_invoices_it(fees, world):
    accountant = signed_in(fees.user)
    page = accountant.get(url(""))
    assert page.status_code == 200 and "Khai báo tài khoản nhận tiền" in page.content.decode()

    refused = accountant.post(
        url("settings/"), {"bank_bin": "123456", "account_number": "12ab", "account_name": ""}
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Số tài khoản gồm 6 đến 19 chữ số." in body and "Hãy chọn một lựa chọn hợp lệ" in body
    saved = accountant.post(
        url("settings/"),
        {
            "bank_bin": "970436",
            "account_number": "0011 2233 4455",
            "account_name": "Trường THCS Thử Nghiệm A",
        },
    )
    assert saved.status_code == 302
    account = ReceivingAccount.objects.get()
    assert (account.account_number, account.account_name) == ("001122334455", "TRUONG THCS THU NGHIEM A")
    assert "••••4455" in accountant.get(url("settings/")).content.decode()

    for amount, error in (("-600000", "lớn hơn 0"), ("600.000,5", "số nguyên")):
        response = accountant.post(
            url("items/new/"), {"name": "Tiền ăn", "amount": amount, "unit": "month", "compulsory": "True"}
        )
        assert response.status_code == 400 and error in response.content.decode()
    assert not FeeItem.objects.exists()
    unknown = accountant.post(
        url("items/new/"),
        {
            "name": "Sách",
            "amount": "180.000",
            "unit": "year",
            "compulsory": "True",
            "student_codes": "FP-1, KHONG-CO",
        },
    )
    assert "Không có học sinh mang mã: KHONG-CO." in unknown.content.decode()
    created = accountant.post(
        url("items/new/"), {"name": "Tiền ăn", "amount": "600.000", "unit": "month", "compulsory": "True"}
    )
    assert created.status_code == 302
    meals = FeeItem.objects.get(name="Tiền ăn")
    assert meals.amount == 600_000

    response = accountant.post(
        url("rounds/new/"), {"name": "Tháng 9", "months": "1", "due_on": "2000-01-01", "items": [meals.pk]}
    )
    assert "Hạn nộp không được ở trong quá khứ." in response.content.decode()
    response = accountant.post(
        url("rounds/new/"), {"name": "Tháng 9", "months": "2", "due_on": "2099-09-15", "items": [meals.pk]}
    )
    round_ = CollectionRound.objects.get()
    assert response.url == url(f"rounds/{round_.pk}/")
    preview = accountant.get(response.url).content.decode()
    assert "2 hoá đơn mới, tổng 2.400.000 đ" in preview and not Invoice.objects.exists()
    token = re.search(r'name="confirm" value="(\w+)"', preview).group(1)

    meals.amount = 650_000  # the catalogue changes after the preview was read
    meals.save()
    stale = accountant.post(url(f"rounds/{round_.pk}/generate/"), {"confirm": token})
    assert stale.status_code == 200 and "Danh mục đã thay đổi" in stale.content.decode()
    assert "2.600.000 đ" in stale.content.decode() and not Invoice.objects.exists()
    token = re.search(r'name="confirm" value="(\w+)"', stale.content.decode()).group(1)
    done = accountant.post(url(f"rounds/{round_.pk}/generate/"), {"confirm": token})
    assert done.status_code == 302
    assert sorted(Invoice.objects.values_list("total", flat=True)) == [1_300_000, 1_300_000]
    again = accountant.get(url(f"rounds/{round_.pk}/")).content.decode()
    assert "không có gì thay đổi" in again

    invoice = Invoice.objects.get(student__student_code="FP-1")
    page = accountant.get(url(f"invoices/{invoice.pk}/")).content.decode()
    assert invoice.code in page and "<svg" in page
    png = accountant.get(url(f"invoices/{invoice.pk}/qr.png"))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")

    transaction_record(
        Incoming(
            source="sepay",
            provider_id="fp-1",
            amount=1_300_000,
            note=invoice.code,
            occurred_at=invoice.created_at,
        )
    )
    home = accountant.get(url("")).content.decode()
    assert "Đã thu 1.300.000 đ / 2.600.000 đ" in home and 'data-class="6A1"' in home


def test_an_invoice_is_cancelled_only_with_a_reason_and_a_confirmation(fees, world):
    from tests.factories import fee_item_make, round_invoice, round_make

    round_invoice(fees.user, round_make(fees, [fee_item_make("Tiền ăn", 500_000)]))
    invoice = Invoice.objects.get(student__student_code="FP-2")
    accountant = signed_in(fees.user)
    no_reason = accountant.post(url(f"invoices/{invoice.pk}/cancel/"), {})
    assert no_reason.status_code == 400 and "ghi lý do huỷ" in no_reason.content.decode()
    preview = accountant.post(url(f"invoices/{invoice.pk}/cancel/"), {"reason": "Học sinh chuyển trường"})
    token = re.search(r'name="confirm" value="(\w+)"', preview.content.decode()).group(1)
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.OPEN
    accountant.post(
        url(f"invoices/{invoice.pk}/cancel/"), {"reason": "Học sinh chuyển trường", "confirm": token}
    )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.CANCELLED and invoice.cancel_reason == "Học sinh chuyển trường"


def test_a_reduction_waits_for_the_principal(fees, world):
    from tests.factories import fee_item_make

    meals = fee_item_make("Tiền ăn", 500_000)
    accountant = signed_in(fees.user)
    fake = SimpleUploadedFile("giay.pdf", b"<html>not a pdf</html>", content_type="application/pdf")
    refused = accountant.post(
        url("reductions/new/"),
        {
            "student_code": "FP-1",
            "item": meals.pk,
            "kind": "percent",
            "value": "150",
            "reason": "Hộ nghèo",
            "evidence": fake,
        },
    )
    body = refused.content.decode()
    assert refused.status_code == 400 and "không phải tệp PDF" in body and "từ 1 đến 100" in body
    evidence = SimpleUploadedFile("giay.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    accountant.post(
        url("reductions/new/"),
        {
            "student_code": "FP-1",
            "item": meals.pk,
            "kind": "percent",
            "value": "50",
            "reason": "Hộ nghèo",
            "evidence": evidence,
        },
    )
    reduction = FeeReduction.objects.get()
    assert reduction.status == FeeReduction.Status.PENDING and reduction.evidence.name.endswith(".pdf")
    assert accountant.get(url(f"reductions/{reduction.pk}/decide/")).status_code == 404  # not the principal's

    principal = signed_in(world.principal_a)
    assert principal.get(url(f"reductions/{reduction.pk}/evidence/"))["Content-Type"] == "application/pdf"
    no_note = principal.post(url(f"reductions/{reduction.pk}/decide/"), {"decision": "reject", "note": ""})
    assert no_note.status_code == 400 and "Hãy ghi lý do không duyệt." in no_note.content.decode()
    principal.post(url(f"reductions/{reduction.pk}/decide/"), {"decision": "approve", "note": ""})
    reduction.refresh_from_db()
    assert reduction.status == FeeReduction.Status.APPROVED
    assert AuditEvent.objects.filter(action="payments.reduction_decide").exists()


def test_who_may_see_and_who_may_change(fees, world):
    principal, teacher = signed_in(world.principal_a), signed_in(world.teacher_a)
    assert principal.get(url("items/")).status_code == 200
    assert principal.get(url("items/new/")).status_code == 404
    assert principal.post(url("settings/"), {"bank_bin": "970436"}).status_code == 404
    for path in ("", "items/", "rounds/", "reductions/", "settings/"):
        assert teacher.get(url(path)).status_code == 404, path
    assert signed_in(world.parent).get(url("")).status_code == 404
    with schema_context(world.school_b.schema_name):
        assert signed_in(world.staff_b).get(url("")).status_code == 404
