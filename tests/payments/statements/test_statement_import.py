"""The bank statement import through its pages: the columns mapped once per bank and reused, the preview of
every row (bad rows with their line and reason, rows already there, money out, the invoice each new row would
pay), all or nothing, a second import doubling nothing, a row a bank feed already brought, a stale preview,
hostile files refused before they cost anything, and who may use it."""

import csv
import datetime
import io
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.html import strip_tags
from django_tenants.utils import schema_context
from openpyxl import Workbook

from accounts.roles import Role
from payments.ledger.services import Incoming, transaction_record
from payments.models import BankTransaction, Invoice, InvoiceState, Payment, StatementMapping
from payments.statements.selectors import statement_check
from payments.statements.services import statement_import
from schoolbook.audit.models import AuditEvent
from students.models import ImportPreview, SchoolClass
from students.services import staff_add
from tests.conftest import assert_refused, confirm_token
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol
from tests.schoolbook.test_uploads_hardening import bomb  # noqa: F401 (the decompression bomb fixture)

pytestmark = pytest.mark.django_db

URL = "/s/test-a/fees/statements/import/"
MAPPING_URL = "/s/test-a/fees/statements/import/columns/"
VCB = "970436"
HEADER = ["STT", "Ngày giao dịch", "Số tham chiếu", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư",
          "Nội dung chi tiết"]  # fmt: skip
MAPPING = {"date": "Ngày giao dịch", "reference": "Số tham chiếu", "debit": "Số tiền ghi nợ",
           "amount": "Số tiền ghi có", "note": "Nội dung chi tiết"}  # fmt: skip
TITLE = [["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"], ["SAO KÊ TÀI KHOẢN 0123456789"], []]


def day(offset=0) -> str:
    return (timezone.localdate() - datetime.timedelta(days=offset)).strftime("%d/%m/%Y")


def statement_xlsx(rows, header=HEADER, title=TITLE) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for line in [*title, header, *rows]:
        sheet.append(line)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def statement_csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8-sig")


def line(n, date, reference, credit, note, debit=""):
    return [n, date, reference, debit, credit, "", note]


@pytest.fixture
def fees(school):
    a1 = SchoolClass.objects.get(name="6A1")
    accountant = staff_make(school, "0911000005", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    an = student_enrol("ST-1", a1, "Nguyễn Văn An")
    em = student_enrol("ST-2", a1, "Nguyễn Thị Em")
    guardian_link(an, "0911000006")
    meals = fee_item_make("Tiền ăn", 500_000)
    round_invoice(accountant, round_make(accountant, [meals]))
    return accountant, Invoice.objects.get(student=an), Invoice.objects.get(student=em)


def good_rows(an, em):
    return [
        line(1, day(2) + " 08:15", "FT001", "500.000", f"MBVCB.1234.{an.code.lower()} hoc phi con An"),
        line(2, day(2) + " 09:00", "FT002", "300,000", f"{em.code} Em"),
        line(3, day(1), "FT003", "", "Phi quan ly tai khoan", debit="11.000"),
        line(4, day(1), "FT004", "250000.00 VND", "ung ho quy lop"),
        ["", "", "", "11.000", "1.050.000", "", "Tổng cộng"],
    ]


def upload(client, data, name="saoke.xlsx", bank=VCB):
    return client.post(URL, {"bank": bank, "file": SimpleUploadedFile(name, data)})


def map_columns(client, token, mapping=MAPPING):
    return client.post(f"{MAPPING_URL}?token={token}", mapping)


def preview_after_upload(client, data, name="saoke.xlsx"):
    """Upload, map the columns if asked, and return the preview page."""
    response = upload(client, data, name)
    assert response.status_code == 302, response.content.decode()[:2000]
    token = response["Location"].split("token=")[1]
    if response["Location"].startswith(MAPPING_URL):
        assert map_columns(client, token).status_code == 302
    return client.get(f"{URL}?token={token}"), token


def confirm(client, preview, token):
    sha = ImportPreview.objects.get(token=token).sha256
    return client.post(URL, {"token": token, "sha256": sha, "confirm": confirm_token(preview)})


def test_the_first_import_maps_the_columns_the_next_one_reuses_them(client, fees):
    accountant, an, em = fees
    client.force_login(accountant.user)
    page = client.get(URL)
    assert page.status_code == 200 and "Nhập sao kê ngân hàng" in page.content.decode()

    response = upload(client, statement_xlsx(good_rows(an, em)))
    assert response["Location"].startswith(MAPPING_URL)
    token = response["Location"].split("token=")[1]
    mapping_page = client.get(response["Location"]).content.decode()
    # the columns are guessed from the bank's headers and shown with a value of the file
    assert 'value="Số tiền ghi có" selected' in mapping_page and "ví dụ: 500.000" in mapping_page
    twice = map_columns(client, token, {**MAPPING, "note": "Số tiền ghi có"})
    assert "đã được chọn cho" in twice.content.decode() and not StatementMapping.objects.exists()

    assert map_columns(client, token).status_code == 302
    assert StatementMapping.objects.get(bank_bin=VCB).columns == MAPPING
    assert AuditEvent.objects.filter(action="payments.statement_mapping").count() == 1

    # the next statement of this bank, a CSV this time with no title lines, goes straight to its preview
    again = upload(client, statement_csv(good_rows(an, em)), "saoke.csv")
    assert again["Location"].startswith(URL + "?token=")
    # another bank has no mapping yet
    assert upload(client, statement_csv(good_rows(an, em)), "mb.csv", bank="970422")["Location"].startswith(
        MAPPING_URL
    )
    # a file of this bank laid out differently is mapped again, the saved columns proposed where they fit
    other = upload(
        client, statement_csv([[day(1), "500.000", "x"]], ["Ngày giao dịch", "Có", "Mô tả"]), "khac.csv"
    )
    assert other["Location"].startswith(MAPPING_URL)
    assert "không có đủ các cột đã lưu" in client.get(other["Location"]).content.decode()


def test_the_preview_shows_every_row_and_what_it_would_pay_then_records_all(client, fees):
    accountant, an, em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    preview, token = preview_after_upload(client, statement_xlsx(good_rows(an, em)))
    text = preview.content.decode()
    assert preview.status_code == 200
    statuses = dict(
        (int(n), s) for n, s in __import__("re").findall(r'data-line="(\d+)" data-status="(\w+)"', text)
    )
    assert statuses == {5: "new", 6: "new", 7: "outgoing", 8: "new", 9: "summary"}  # lines of the sheet
    assert f"{an.code} · Nguyễn Văn An: 500.000 đ" in strip_tags(text)
    assert f"{em.code} · Nguyễn Thị Em: 300.000 đ" in strip_tags(text)
    assert "chưa khớp: chờ xử lý" in text
    assert "Ghi nhận 3 giao dịch (1.050.000 đ)" in text
    assert not BankTransaction.objects.exists()

    done = confirm(client, preview, token)
    assert done.status_code == 302
    rows = BankTransaction.objects.order_by("occurred_at", "pk")
    assert [(r.source, r.provider_id, r.amount, r.status) for r in rows] == [
        ("statement", "FT001", 500_000, "matched"),
        ("statement", "FT002", 300_000, "matched"),
        ("statement", "FT004", 250_000, "unmatched"),
    ]
    assert rows[0].occurred_at == timezone.make_aware(
        datetime.datetime.combine(timezone.localdate() - datetime.timedelta(days=2), datetime.time(8, 15))
    )
    an.refresh_from_db(), em.refresh_from_db()
    assert (an.state, em.state, em.paid) == (InvoiceState.PAID, InvoiceState.PARTLY_PAID, 300_000)
    event = AuditEvent.objects.get(action="payments.statement_import")
    assert event.after["new"] == 3 and event.after["matched"] == 2 and event.after["outgoing"] == 1
    assert not ImportPreview.objects.exists()
    followed = client.get(done["Location"]).content.decode()
    assert "Đã ghi nhận 3 giao dịch: 2 đã khớp hoá đơn, 1 chờ kế toán xử lý" in followed


def test_the_same_statement_imported_twice_doubles_nothing(client, fees):
    accountant, an, em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    data = statement_xlsx(good_rows(an, em))
    preview, token = preview_after_upload(client, data)
    confirm(client, preview, token)
    before = (BankTransaction.objects.count(), Payment.objects.count())

    again, _token = preview_after_upload(client, data)
    text = again.content.decode()
    assert text.count('data-status="exists"') == 3 and "Ghi nhận" not in text.split("Tải tệp khác")[0]
    assert "Mọi giao dịch tiền vào của tệp đã có trong hệ thống" in text
    # committing it anyway (a script) records nothing new
    report = statement_import(
        actor=accountant.user, school=None, mapping=MAPPING, data=data, filename="x.xlsx"
    )
    assert report.committed and report.summary.new == 0 and report.summary.existing == 3
    assert (BankTransaction.objects.count(), Payment.objects.count()) == before


def test_rows_without_a_bank_reference_are_keyed_by_their_content_and_not_doubled(fees):
    accountant, an, _em = fees
    mapping = {key: value for key, value in MAPPING.items() if key not in ("reference", "debit")}
    header = ["Ngày giao dịch", "Số tiền ghi có", "Nội dung chi tiết"]
    rows = [[day(1), "200.000", f"{an.code} lan 1"], [day(1), "200.000", f"{an.code} lan 1"],
            [day(1), "100.000", f"{an.code} lan 2"]]  # fmt: skip
    data = statement_csv(rows, header)
    first = statement_import(actor=accountant.user, school=None, mapping=mapping, data=data, filename="a.csv")
    assert first.committed and first.summary.new == 3  # twins are two payments
    ids = sorted(BankTransaction.objects.values_list("provider_id", flat=True))
    assert len(set(ids)) == 3 and all(i.startswith("h") for i in ids)
    # a later statement that repeats those rows and adds one
    data = statement_csv([*rows, [day(0), "50.000", "khac"]], header)
    second = statement_import(
        actor=accountant.user, school=None, mapping=mapping, data=data, filename="b.csv"
    )
    assert (second.summary.new, second.summary.existing) == (1, 3)
    an.refresh_from_db()
    assert an.paid == 500_000


def broken_rows(an):
    """A CSV's data lines 2–11: two good rows around every kind of bad one."""
    return [
        line(1, day(1), "FT101", "500.000", f"{an.code} tot"),
        line(2, day(1), "FT102", "", "thieu tien"),
        line(3, day(1), "FT103", "-500.000", "am"),
        line(4, day(1), "FT104", "1.500.000,50", "le"),
        line(5, "31/02/2026", "FT105", "100.000", "ngay sai"),
        line(6, day(1), "", "100.000", "thieu ma"),
        line(7, day(1), "FT101", "100.000", "trung ma"),
        line(8, day(1), "FT108", "=1+1", "cong thuc"),
        line(9, day(1), "FT109", "năm trăm", "chu"),
        line(10, day(1), "FT110", "200.000", "tot"),
    ]


def test_a_statement_with_broken_rows_reports_every_one_and_records_nothing(client, fees):
    accountant, an, _em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    rows = broken_rows(an)
    preview, token = preview_after_upload(client, statement_csv(rows), "loi.csv")
    text = preview.content.decode()
    report = statement_check(MAPPING, statement_csv(rows), "loi.csv")
    problems = [(p.line, p.reason) for p in report.problems]
    assert problems == [
        (3, "Thiếu số tiền ghi có."),
        (4, "Số tiền âm: cột ghi có chỉ chứa tiền vào."),
        (5, "Số tiền có phần lẻ: tiền đồng phải là số nguyên."),
        (6, "Không đọc được ngày: hãy ghi dd/mm/yyyy (ví dụ 15/09/2026), có thể kèm giờ."),
        (7, "Thiếu mã giao dịch của ngân hàng."),
        (8, "Mã giao dịch trùng với dòng 2."),
        (9, "Công thức không được phép: hãy dán giá trị."),
        (10, "Không đọc được số tiền (ví dụ đúng: 1.500.000)."),
    ]
    assert "Có 8 lỗi. Chưa có gì được ghi nhận" in text and 'name="confirm"' not in text
    for line_number, reason in problems:
        assert f'data-line="{line_number}" data-status="bad"' in text and reason in text
    only_bad = client.get(f"{URL}?token={token}&only=bad").content.decode()
    assert only_bad.count('data-status="bad"') == 8 and 'data-status="new"' not in only_bad
    problems_csv = client.get(f"/s/test-a/fees/statements/import/problems.csv?token={token}")
    assert (
        problems_csv.status_code == 200 and "Mã giao dịch trùng với dòng 2." in problems_csv.content.decode()
    )

    # a crafted confirmation changes nothing either, nor does the service
    sha = ImportPreview.objects.get(token=token).sha256
    client.post(URL, {"token": token, "sha256": sha, "confirm": "0" * 24})
    report = statement_import(
        actor=accountant.user, school=None, mapping=MAPPING, data=statement_csv(rows), filename="loi.csv"
    )
    assert not report.committed
    assert not BankTransaction.objects.exists() and not Payment.objects.exists()
    an.refresh_from_db()
    assert an.paid == 0


def test_a_transfer_a_bank_feed_already_brought_is_not_counted_twice(client, fees):
    accountant, an, em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    transaction_record(
        Incoming(source="sepay", provider_id="sp-77", amount=500_000, note=f"{an.code}",
                 occurred_at=timezone.now(), reference="FT001")
    )  # fmt: skip
    preview, token = preview_after_upload(client, statement_xlsx(good_rows(an, em)))
    text = preview.content.decode()
    assert 'data-line="5" data-status="exists"' in text and "(SePay)" in text
    confirm(client, preview, token)
    assert BankTransaction.objects.filter(reference="FT001").count() == 1
    an.refresh_from_db()
    assert an.paid == 500_000


def test_two_rows_for_one_invoice_are_foreseen_in_order_and_a_stale_preview_is_shown_again(client, fees):
    accountant, an, _em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    rows = [line(1, day(3), "FT201", "300.000", an.code), line(2, day(2), "FT202", "300.000", an.code)]
    preview, token = preview_after_upload(client, statement_csv(rows), "hai.csv")
    first, second = preview.content.decode().split('data-line="3"')
    assert f"{an.code} · Nguyễn Văn An: 300.000 đ" in strip_tags(first.split('data-line="2"')[1])  # partly
    # the second: the 200 000 đ left, and 100 000 đ more than the invoice asks
    second = strip_tags(second)
    assert f"{an.code} · Nguyễn Văn An: 300.000 đ" in second and "trong đó nộp thừa 100.000 đ" in second

    # the invoice is paid by a feed between the preview and the confirmation
    transaction_record(Incoming(source="sepay", provider_id="sp-9", amount=500_000, note=an.code,
                                occurred_at=timezone.now()))  # fmt: skip
    stale = confirm(client, preview, token)
    assert stale.status_code == 200 and "Dữ liệu đã thay đổi từ lúc bạn xem trước" in stale.content.decode()
    assert BankTransaction.objects.filter(source="statement").count() == 0
    # no confirmation token at all: the preview again, nothing done
    sha = ImportPreview.objects.get(token=token).sha256
    assert client.post(URL, {"token": token, "sha256": sha}).status_code == 200
    done = confirm(client, stale, token)
    assert done.status_code == 302 and BankTransaction.objects.filter(source="statement").count() == 2


def test_an_expired_or_someone_elses_preview_is_not_used(client, fees, world):
    accountant, an, em = fees
    client.force_login(accountant.user)
    StatementMapping.objects.create(bank_bin=VCB, columns=MAPPING)
    _preview, token = preview_after_upload(client, statement_xlsx(good_rows(an, em)))
    admin = client.__class__()
    admin.force_login(world.admin_a)  # a fee manager too, but not the one who uploaded
    assert admin.get(f"{URL}?token={token}")["Location"] == URL
    ImportPreview.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert client.get(f"{URL}?token={token}")["Location"] == URL


def test_hostile_files_are_refused_before_they_cost_anything(client, fees, bomb, monkeypatch):  # noqa: F811
    accountant, _an, _em = fees
    client.force_login(accountant.user)

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl must not see this file")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    started = time.perf_counter()
    page = upload(client, bomb)
    assert time.perf_counter() - started < 2
    assert page.status_code == 200 and "khi giải nén quá lớn" in page.content.decode()
    assert not ImportPreview.objects.exists()

    not_a_sheet = upload(client, b"<html><script>alert(1)</script></html>\x00", "x.xlsx")
    assert "Không phải tệp bảng tính .xlsx hoặc .csv." in not_a_sheet.content.decode()
    monkeypatch.undo()

    many = statement_csv([line(n, day(1), f"R{n}", "1.000", "x") for n in range(10_050)])
    started = time.perf_counter()
    assert "Tệp có quá nhiều dòng (tối đa 10.000 dòng)." in upload(client, many, "nhieu.csv").content.decode()
    assert time.perf_counter() - started < 5
    latin = upload(client, "Ngày;Tien\n15/09/2026;1.000\n".encode("latin-1"), "x.csv").content.decode()
    assert "UTF-8" in latin
    assert not ImportPreview.objects.exists()

    # a body declared larger than the upload limit is refused before it is read
    huge = client.generic("POST", URL, b"", CONTENT_TYPE="multipart/form-data; boundary=x",
                          CONTENT_LENGTH=str(12 * 2**20))  # fmt: skip
    assert huge.status_code == 413
    form_too_big = client.post(URL, {"bank": "999999", "file": SimpleUploadedFile("s.csv", b"a,b\n1,2\n")})
    assert "Hãy chọn ngân hàng trong danh sách." in form_too_big.content.decode()


def test_who_may_import(client, fees, world):
    with schema_context(world.school_b.schema_name):
        accountant_b = staff_add(actor=world.admin_a, school=world.school_b, phone="0922000009",
                                 full_name="Kế Toán Trường B", roles=[Role.ACCOUNTANT]).user  # fmt: skip
    requests = [(URL, {"bank": VCB}), (MAPPING_URL + "?token=x", {}), (URL + "problems.csv?token=x", {})]
    # the principal sees fees but does not record money; B's accountant is nobody in school A
    for user in (world.teacher_a, world.parent, world.staff_b, accountant_b, world.principal_a):
        client.force_login(user)
        assert_refused(client, user, requests)
    client.logout()
    assert_refused(client, None, requests)
    client.force_login(world.admin_a)
    assert client.get(URL).status_code == 200
