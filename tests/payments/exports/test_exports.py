"""The exports: the accounting workbooks read back with openpyxl (payments of a range with reversals as
negative lines, invoices of a round), the city centre's CSV and JSON (the documented fields, no names, phones
or accounts), each school's data only in its own export, who may take them, and the audit."""

import csv
import datetime
import io
import json
import re
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from openpyxl import load_workbook

from accounts.roles import Role
from payments.exports.city import INVOICE_FIELDS, PAYMENT_FIELDS
from payments.exports.periods import Period, period_parse
from payments.ledger.services import Incoming, payment_reverse, transaction_assign, transaction_record
from payments.models import BankTransaction, Invoice, Payment
from schoolbook.audit.models import AuditEvent
from students.models import GradeLevel, SchoolClass, SchoolYear
from students.services import staff_add
from tests.conftest import assert_refused
from tests.factories import fee_item_make, guardian_link, round_invoice, round_make, staff_make, student_enrol

pytestmark = pytest.mark.django_db

BASE = "/s/test-a/fees/export/"
TODAY = timezone.localdate


@pytest.fixture
def ledger(school):
    """School A: two classes' invoices for one round, paid by a feed, a statement (partly), an unmatched
    transfer assigned by the accountant, and one payment reversed."""
    a1, a2 = SchoolClass.objects.get(name="6A1"), SchoolClass.objects.get(name="6A2")
    accountant = staff_make(school, "0911000007", "Trần Kế Toán", roles=[Role.ACCOUNTANT])
    an = student_enrol("EX-1", a1, "Nguyễn Văn An")
    # A hostile name stays text; the sector database's identifier is in every export.
    student_enrol("EX-2", a2, '=HYPERLINK("http://x")', sector_id="790100000012")
    student_enrol("EX-3", a2, "Lê Thị Cúc")
    guardian_link(an, "0911000008")
    meals, books = fee_item_make("Tiền ăn", 500_000), fee_item_make("Sách giáo khoa", 180_000, unit="year")
    round_ = round_make(accountant, [meals, books], name="Tháng 9")
    round_invoice(accountant, round_)
    inv = {i.student.student_code: i for i in Invoice.objects.select_related("student")}

    def incoming(source, provider_id, amount, note, **extra):
        return transaction_record(Incoming(source=source, provider_id=provider_id, amount=amount, note=note,
                                           occurred_at=timezone.now(), counter_account="0123456789",
                                           **extra))[0]  # fmt: skip

    incoming("sepay", "sp-1", 680_000, f"{inv['EX-1'].code} hoc phi 0912345678")
    incoming("statement", "FT9", 300_000, inv["EX-2"].code, reference="FT9")
    wrong = incoming("vnpay", "vn-1", 680_000, f"{inv['EX-3'].code}")
    unmatched = incoming("casso", "cs-1", 100_000, "tien hoc con Cuc")
    transaction_assign(actor=accountant.user, row=unmatched, invoice=inv["EX-3"], amount=100_000)
    payment_reverse(actor=accountant.user, payment=Payment.objects.get(transaction=wrong), reason="Nhầm")
    return accountant, round_, inv


def xlsx_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_payments_workbook_reads_back_with_reversals_as_negative_lines(client, ledger):
    accountant, _round, inv = ledger
    client.force_login(accountant.user)
    day = TODAY().isoformat()
    sheet, rows = xlsx_rows(client.get(f"{BASE}payments.xlsx", {"start": day, "end": day}))
    assert sheet.title == "Thu tiền"
    assert rows[0] == ["Số biên lai", "Ngày", "Mã học sinh", "Họ và tên", "Lớp", "Mã hoá đơn", "Đợt thu",
                       "Các khoản thu", "Số tiền", "Nguồn", "Tiền về tài khoản lúc", "Ghi chú",
                       "Mã định danh Bộ GD&ĐT"]  # fmt: skip
    lines = {(row[2], row[8]): row for row in rows[1:]}
    assert sorted(lines) == [("EX-1", 680_000), ("EX-2", 300_000), ("EX-3", -680_000), ("EX-3", 100_000),
                             ("EX-3", 680_000)]  # fmt: skip
    an = lines["EX-1", 680_000]
    year = SchoolYear.objects.get(is_current=True).starts_on.year
    assert re.fullmatch(rf"{year}-\d{{6}}", an[0])
    assert an[1] == datetime.datetime.combine(TODAY(), datetime.time())  # a date cell
    assert an[3:8] == [
        "Nguyễn Văn An",
        "6A1",
        inv["EX-1"].code,
        "Tháng 9",
        "Sách giáo khoa: 180.000; Tiền ăn: 500.000",
    ]
    assert an[9] == "SePay" and isinstance(an[10], datetime.datetime)
    reversal, original = lines["EX-3", -680_000], lines["EX-3", 680_000]
    assert reversal[0] == original[0] and reversal[11] == "Điều chỉnh: Nhầm" and reversal[9] == "VNPay"
    assert lines["EX-2", 300_000][9] == "sao kê" and lines["EX-3", 100_000][9] == "Casso"
    assert lines["EX-2", 300_000][12] == "790100000012" and an[12] is None
    assert sum(row[8] for row in rows[1:]) == 680_000 + 300_000 + 100_000  # what the school kept
    hostile = next(c for c in sheet["D"] if c.value and str(c.value).startswith("=HYPERLINK"))
    assert hostile.data_type == "s"
    assert sheet["I2"].number_format == "#,##0"
    text = " ".join(str(value) for row in rows for value in row)
    assert "0912345678" not in text and "6789" not in text  # notes and accounts stay out

    # another range: nothing
    _sheet, empty = xlsx_rows(
        client.get(f"{BASE}payments.xlsx", {"start": "2020-01-01", "end": "2020-01-31"})
    )
    assert len(empty) == 1
    event = AuditEvent.objects.filter(action="payments.export").first()
    assert event.after["what"] == "payments" and event.after["format"] == "xlsx"


@pytest.mark.parametrize(
    "params, error",
    [
        ({"start": "2026-09-30", "end": "2026-09-01"}, "Ngày cuối phải sau ngày đầu."),
        ({"start": "2025-01-01", "end": "2026-09-01"}, "Mỗi lần xuất tối đa 366 ngày."),
        ({"start": "hôm qua", "end": "2026-09-01"}, "Nhập ngày hợp lệ (dd/mm/yyyy)."),
        ({}, "Trường này là bắt buộc."),
    ],
)
def test_a_bad_range_is_said_on_the_page(client, ledger, params, error):
    client.force_login(ledger[0].user)
    response = client.get(f"{BASE}payments.xlsx", params)
    assert response.status_code == 400 and error in response.content.decode()
    assert not AuditEvent.objects.filter(action="payments.export").exists()


def test_the_invoices_workbook_of_a_round(client, ledger):
    accountant, round_, inv = ledger
    other = round_make(accountant, [fee_item_make("Đồng phục", 200_000, unit="once")], name="Đồng phục")
    round_invoice(accountant, other)
    client.force_login(accountant.user)
    sheet, rows = xlsx_rows(client.get(f"{BASE}invoices.xlsx", {"round": round_.pk}))
    assert sheet.title == "Hoá đơn"
    assert rows[0] == ["Mã hoá đơn", "Mã học sinh", "Họ và tên", "Lớp", "Các khoản thu", "Phải nộp", "Đã nộp",
                       "Còn phải nộp", "Trạng thái", "Hạn nộp", "Mã định danh Bộ GD&ĐT"]  # fmt: skip
    by_code = {row[1]: row for row in rows[1:]}
    assert next(iter(by_code)) == "EX-1" and set(by_code) == {"EX-1", "EX-2", "EX-3"}  # 6A1 before 6A2
    assert by_code["EX-1"][5:9] == [680_000, 680_000, 0, "đã nộp đủ"]
    assert by_code["EX-2"][5:9] == [680_000, 300_000, 380_000, "nộp một phần"]
    assert by_code["EX-3"][5:9] == [680_000, 100_000, 580_000, "nộp một phần"]
    assert by_code["EX-1"][0] == inv["EX-1"].code and by_code["EX-1"][3] == "6A1"
    assert len(rows) == 4  # the other round's invoices are not here
    assert client.get(f"{BASE}invoices.xlsx", {"round": "x"}).status_code == 404
    assert client.get(f"{BASE}invoices.xlsx", {"round": 999_999}).status_code == 404


def city_csv(client, period, table, school="test-a"):
    response = client.get(f"/s/{school}/fees/export/city/{period}.csv", {"table": table})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_the_city_export_csv_and_json_have_the_documented_fields_and_no_personal_details(client, ledger):
    accountant, round_, inv = ledger
    client.force_login(accountant.user)
    month = TODAY().strftime("%Y-%m")
    payments = city_csv(client, month, "payments")
    assert list(payments[0]) == PAYMENT_FIELDS
    assert sorted((p["student_code"], int(p["amount"])) for p in payments) == [
        ("EX-1", 680_000), ("EX-2", 300_000), ("EX-3", -680_000), ("EX-3", 100_000), ("EX-3", 680_000)
    ]  # fmt: skip
    reversal = next(p for p in payments if p["amount"] == "-680000")
    original = next(p for p in payments if p["payment_id"] == reversal["reverses_payment_id"])
    assert original["source"] == "vnpay" and reversal["receipt"] == original["receipt"]
    assert all(p["reverses_payment_id"] == "" for p in payments if p is not reversal)
    assert payments[0]["date"] == TODAY().isoformat() and payments[0]["class"] in ("6A1", "6A2")

    due = round_.due_on.isoformat()
    invoices = city_csv(client, f"{due}_{due}", "invoices")
    assert list(invoices[0]) == INVOICE_FIELDS
    ex2 = next(i for i in invoices if i["student_code"] == "EX-2")
    assert ex2 == {
        "invoice_code": inv["EX-2"].code, "round": "Tháng 9", "due_on": due, "grade": "6", "class": "6A2",
        "student_code": "EX-2", "items": "Sách giáo khoa; Tiền ăn", "total": "680000", "paid": "300000",
        "outstanding": "380000", "state": "partly_paid", "overdue": "0", "sector_id": "790100000012",
    }  # fmt: skip

    response = client.get(f"{BASE}city/{month}.json")
    assert response["Content-Type"] == "application/json"
    document = json.loads(b"".join(response.streaming_content))
    assert document["school"] == {"code": "test-a", "name": "Trường THCS Thử Nghiệm A"}
    assert document["currency"] == "VND" and document["from"].endswith("-01")
    assert len(document["payments"]) == 5 and list(document["payments"][0]) == PAYMENT_FIELDS
    assert all(list(record) == INVOICE_FIELDS for record in document["invoices"])
    assert {record["overdue"] for record in document["invoices"]} <= {True, False}

    everything = json.dumps(document, ensure_ascii=False) + json.dumps(
        payments + invoices, ensure_ascii=False
    )
    for personal in ("Nguyễn Văn An", "Lê Thị Cúc", "0912345678", "911000008", "6789", "hoc phi", "FT9"):
        assert personal not in everything
    events = AuditEvent.objects.filter(action="payments.export", after__what="city")
    assert {(e.after["format"], e.after["table"]) for e in events} == {
        ("csv", "payments"),
        ("csv", "invoices"),
        ("json", None),
    }


@pytest.mark.parametrize("period", ["2026-13", "2026-11-31", "2026-W47-1", "2026-12-31_2026-01-01",
                                    "2025-01-01_2026-01-02", "tomorrow"])  # fmt: skip
def test_a_period_that_is_none_is_404(client, ledger, period):
    client.force_login(ledger[0].user)
    assert client.get(f"{BASE}city/{period}.csv").status_code == 404
    assert client.get(f"{BASE}city/2026-11.xml").status_code == 404
    assert client.get(f"{BASE}city/2026-11.csv", {"table": "students"}).status_code == 404


@pytest.mark.parametrize(
    "text, period",
    [
        ("2026-11-25", Period(datetime.date(2026, 11, 25), datetime.date(2026, 11, 25), "2026-11-25")),
        ("2026-02", Period(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28), "2026-02")),
        ("2028-02", Period(datetime.date(2028, 2, 1), datetime.date(2028, 2, 29), "2028-02")),
        ("2026-09-01_2026-12-31", Period(datetime.date(2026, 9, 1), datetime.date(2026, 12, 31),
                                         "2026-09-01_2026-12-31")),
        ("2026-01-01_2026-12-31", Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31),
                                         "2026-01-01_2026-12-31")),
        ("2024-01-01_2024-12-31", Period(datetime.date(2024, 1, 1), datetime.date(2024, 12, 31),
                                         "2024-01-01_2024-12-31")),  # 366 days
        ("2024-01-01_2025-01-01", None),
        ("2026-12-01_2026-11-30", None),
        ("2026-13", None), ("2026-02-30", None), ("2026-W47-1", None), ("20261125", None), ("", None),
        ("2026-1", None), ("2026-11-25_", None),
    ],
)  # fmt: skip
def test_periods(text, period):
    assert period_parse(text) == period


@pytest.fixture
def school_b_ledger(world):
    """School B: its own accountant, student and payment."""
    with schema_context(world.school_b.schema_name):
        year = SchoolYear.objects.get(is_current=True)
        b1 = SchoolClass.objects.create(name="6B1", grade=GradeLevel.objects.get(number=6), year=year)
        accountant = staff_add(actor=world.admin_a, school=world.school_b, phone="0922000001",
                               full_name="Kế Toán Trường B", roles=[Role.ACCOUNTANT])  # fmt: skip
        secret = student_enrol("B-SECRET", b1, "Học Sinh Trường B")
        round_invoice(accountant, round_make(accountant, [fee_item_make("Tiền ăn B", 400_000)]))
        code = Invoice.objects.get(student=secret).code
        transaction_record(Incoming(source="sepay", provider_id="sp-b", amount=400_000, note=code,
                                    occurred_at=timezone.now()))  # fmt: skip
    return accountant


def test_each_school_exports_only_its_own_data(client, ledger, school_b_ledger, world):
    accountant, round_, _inv = ledger
    month = TODAY().strftime("%Y-%m")
    client.force_login(accountant.user)
    a_payments = city_csv(client, month, "payments")
    a_json = b"".join(client.get(f"{BASE}city/{month}.json").streaming_content).decode()
    assert "B-SECRET" not in a_json and all(p["student_code"].startswith("EX-") for p in a_payments)

    client.force_login(school_b_ledger.user)
    b_payments = city_csv(client, month, "payments", school="test-b")
    assert [(p["student_code"], p["amount"]) for p in b_payments] == [("B-SECRET", "400000")]
    b_json = b"".join(client.get(f"/s/test-b/fees/export/city/{month}.json").streaming_content).decode()
    assert "EX-1" not in b_json and "B-SECRET" in b_json

    # B's accountant is nobody in school A: every export of A is a 404
    day = TODAY().isoformat()
    requests = [
        (BASE, {}),
        (f"{BASE}payments.xlsx?start={day}&end={day}", {}),
        (f"{BASE}invoices.xlsx?round={round_.pk}", {}),
        (f"{BASE}city/{month}.csv?table=payments", {}),
        (f"{BASE}city/{month}.json", {}),
    ]
    assert_refused(client, school_b_ledger.user, requests)


def test_who_may_export(client, ledger, world):
    _accountant, round_, _inv = ledger
    month = TODAY().strftime("%Y-%m")
    requests = [
        (BASE, {}),
        (f"{BASE}payments.xlsx?start=2026-09-01&end=2026-09-30", {}),
        (f"{BASE}invoices.xlsx?round={round_.pk}", {}),
        (f"{BASE}city/{month}.csv", {}),
        (f"{BASE}city/{month}.json", {}),
    ]
    for user in (world.teacher_a, world.parent, world.staff_b, world.outsider_parent):
        client.force_login(user)
        assert_refused(client, user, requests)
    client.logout()
    assert_refused(client, None, requests)
    for viewer in (world.principal_a, world.admin_a):  # fee viewers read, and export
        client.force_login(viewer)
        page = client.get(BASE)
        assert page.status_code == 200 and "Tháng 9" in page.content.decode()
        assert client.get(f"{BASE}city/{month}.json").status_code == 200
    assert BankTransaction.objects.count() == 4  # exporting changed nothing


def test_the_export_page_without_rounds_says_what_comes_first(client, school, world):
    client.force_login(world.admin_a)
    page = client.get(BASE).content.decode()
    assert "Chưa có đợt thu nào" in page and 'name="start"' in page


DOC = Path(__file__).resolve().parents[3] / "docs" / "payment-export.md"


def test_the_document_describes_every_field():
    text = DOC.read_text()
    for name in PAYMENT_FIELDS + INVOICE_FIELDS:
        assert f"| `{name}` |" in text, name
