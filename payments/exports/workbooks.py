"""The workbooks for the school's accounting software (.xlsx, openpyxl): one header line then one line per
record, so an accounting import (MISA and the like) maps the columns once. Money is a number of đồng with a
thousands format, dates are dates, every text is written as text (schoolbook.spreadsheets.sheet_append), and
a reversal is a line of its own with a negative amount, so the column adds up to what the school kept."""

from django.utils.translation import gettext

from payments.exports.selectors import InvoiceRecord, PaymentRecord
from schoolbook.spreadsheets import workbook_bytes

MONEY, DATE, MOMENT = "#,##0", "DD/MM/YYYY", "DD/MM/YYYY HH:MM"


def items_text(items: list[tuple[str, int]]) -> str:
    """ "Tiền ăn: 500.000; Sách giáo khoa: 180.000" (the invoice's lines)."""
    return "; ".join(f"{description}: {amount:,}".replace(",", ".") for description, amount in items)


def payments_workbook(records) -> bytes:
    columns = [
        (gettext("Số biên lai"), 14, None),
        (gettext("Ngày"), 12, DATE),
        (gettext("Mã học sinh"), 14, None),
        (gettext("Họ và tên"), 26, None),
        (gettext("Lớp"), 8, None),
        (gettext("Mã hoá đơn"), 13, None),
        (gettext("Đợt thu"), 16, None),
        (gettext("Các khoản thu"), 40, None),
        (gettext("Số tiền"), 14, MONEY),
        (gettext("Nguồn"), 10, None),
        (gettext("Tiền về tài khoản lúc"), 18, MOMENT),
        (gettext("Ghi chú"), 30, None),
        (gettext("Mã định danh Bộ GD&ĐT"), 22, None),
    ]

    def line(record: PaymentRecord) -> list:
        note = gettext("Điều chỉnh: %(reason)s") % {"reason": record.note} if record.reverses else ""
        return [
            record.receipt, record.recorded_at.date(), record.student_code, record.student_name,
            record.school_class, record.invoice_code, record.round, items_text(record.items), record.amount,
            record.source_label, record.received_at.replace(tzinfo=None), note, record.student_sector_id,
        ]  # fmt: skip

    return workbook_bytes(gettext("Thu tiền"), columns, (line(record) for record in records))


def invoices_workbook(records) -> bytes:
    columns = [
        (gettext("Mã hoá đơn"), 13, None),
        (gettext("Mã học sinh"), 14, None),
        (gettext("Họ và tên"), 26, None),
        (gettext("Lớp"), 8, None),
        (gettext("Các khoản thu"), 40, None),
        (gettext("Phải nộp"), 14, MONEY),
        (gettext("Đã nộp"), 14, MONEY),
        (gettext("Còn phải nộp"), 14, MONEY),
        (gettext("Trạng thái"), 16, None),
        (gettext("Hạn nộp"), 12, DATE),
        (gettext("Mã định danh Bộ GD&ĐT"), 22, None),
    ]

    def line(record: InvoiceRecord) -> list:
        state = record.state_label + (" – " + gettext("quá hạn") if record.overdue else "")
        return [
            record.code, record.student_code, record.student_name, record.school_class,
            items_text(record.items), record.total, record.paid, record.outstanding, state, record.due_on,
            record.student_sector_id,
        ]  # fmt: skip

    return workbook_bytes(gettext("Hoá đơn"), columns, (line(record) for record in records))
