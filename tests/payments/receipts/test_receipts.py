"""The receipt (payments.receipts): the printable page and the PDF, for the school's fee viewers and the
student's guardians; a reversed payment's receipt marked "ĐÃ HUỶ"; the source (transfer or VNPay); anyone
else 404."""

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from accounts.roles import Role
from payments.ledger.services import payment_reverse
from payments.models import Receipt
from students.services import staff_add
from tests.conftest import ARTIFACTS, assert_refused, signed_in
from tests.factories import money_receive
from tests.payments.fees_world import Fees

pytestmark = pytest.mark.django_db


@pytest.fixture
def fees(school):
    return Fees(school)


def receipt_of(row) -> Receipt:
    return Receipt.objects.select_related("year").get(payment__transaction=row)


def test_the_receipt_page_says_who_paid_what_in_figures_and_in_words(fees, world):
    row = money_receive(1_134_520, f"{fees.an_invoice.code} hoc phi", reference="FT25123456")
    receipt = receipt_of(row)
    for user in (fees.mother, fees.accountant.user, world.principal_a, world.admin_a):
        page = signed_in(user).get(f"/s/test-a/fees/receipts/{receipt.pk}/").content.decode()
        assert "BIÊN LAI THU TIỀN" in page and "Trường THCS Thử Nghiệm A" in page
        assert f"Số: {receipt.label}" in page and receipt.label.endswith(f"{receipt.number:06d}")
        assert "Nguyễn Văn An (PF-1)" in page and "6A1" in page
        assert fees.an_invoice.code in page and "Tháng 9" in page
        assert "Tiền ăn" in page and "−250.000 đ" in page and "Bảo hiểm y tế" in page
        assert "1.134.520 đ" in page
        assert "Một triệu một trăm ba mươi bốn nghìn năm trăm hai mươi đồng" in page
        assert "Chuyển khoản" in page and "FT25123456" in page
        assert "ĐÃ HUỶ" not in page and "css/fees.css" in page  # its print stylesheet


def test_a_vnpay_payment_and_a_partial_one_say_so(fees):
    row = money_receive(500_000, fees.em_invoice.code, source="vnpay")
    page = signed_in(fees.mother).get(f"/s/test-a/fees/receipts/{receipt_of(row).pk}/").content.decode()
    assert "VNPay" in page and "Nộp một phần hoá đơn" in page and "Năm trăm nghìn đồng" in page


def test_a_reversed_payments_receipt_is_marked_voided(fees):
    row = money_receive(300_000, fees.an_invoice.code)
    receipt = receipt_of(row)
    payment_reverse(actor=fees.accountant.user, payment=receipt.payment, reason="Nhầm học sinh")
    client = signed_in(fees.mother)
    page = client.get(f"/s/test-a/fees/receipts/{receipt.pk}/").content.decode()
    assert "ĐÃ HUỶ" in page and "không còn giá trị" in page
    invoice_page = client.get(f"/s/test-a/fees/my/invoices/{fees.an_invoice.pk}/").content.decode()
    assert 'class="voided"' in invoice_page and "Đã huỷ" in invoice_page


def test_the_pdf_embeds_a_vietnamese_font_and_marks_a_voided_receipt(fees):
    row = money_receive(1_134_520, fees.an_invoice.code)
    receipt = receipt_of(row)
    response = signed_in(fees.accountant.user).get(f"/s/test-a/fees/receipts/{receipt.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="bien-lai-{receipt.label}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF-") and b"DejaVuSans" in response.content
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "receipt.pdf").write_bytes(response.content)  # to look at: pdftoppm -png receipt.pdf
    payment_reverse(actor=fees.accountant.user, payment=receipt.payment, reason="Nhầm học sinh")
    voided = signed_in(fees.mother).get(f"/s/test-a/fees/receipts/{receipt.pk}/pdf/").content
    assert voided != response.content
    (ARTIFACTS / "receipt-voided.pdf").write_bytes(voided)


def test_only_fee_viewers_and_the_students_guardians_see_a_receipt(fees, world):
    receipt = receipt_of(money_receive(300_000, fees.an_invoice.code))
    paths = [
        (f"/s/test-a/fees/receipts/{receipt.pk}/", {}),
        (f"/s/test-a/fees/receipts/{receipt.pk}/pdf/", {}),
    ]
    with schema_context(world.school_b.schema_name):
        accountant_b = staff_add(
            actor=world.admin_a, school=world.school_b, phone="0916000029", full_name="Kế Toán B",
            roles=[Role.ACCOUNTANT],
        ).user  # fmt: skip
    for user in (fees.other_parent, world.parent, world.teacher_a, world.outsider_parent, accountant_b):
        client = signed_in(user)
        for path, _ in paths:
            assert client.get(path).status_code == 404, (user, path)
            assert client.post(path).status_code in (404, 405), (user, path)
    assert_refused(Client(), None, paths)
