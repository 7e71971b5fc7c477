"""A bank statement as an import of students.imports.flow: the file read and checked (size, zip, rows,
formulas) by the shared flow, each row read by the pure rules of payments.statements.parsing, and then, on
one code path, previewed (write=False: which invoice each new row would pay, read-only) or recorded
(write=True: every new row through payments.ledger.services.transactions_record, one batch in the flow's one
database transaction, audited as "payments.statement_import").

A row is new, already there ("đã có": the same source "statement" and provider id, or a feed — SePay,
Casso — already brought the same bank reference and amount), money out (skipped), one of the bank's total
lines (skipped), or bad; one bad row and nothing is recorded. The columns are the file's own headers as the
bank's StatementMapping names them.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from payments.ledger.services import Incoming, transactions_foresee, transactions_record
from payments.models import BankTransaction
from payments.statements import parsing
from schoolbook.confirm import confirmation_token
from students.imports.flow import Columns, Counts, Importer, Report, Table, data_rows, text_of
from students.models import Student

ACTION = "payments.statement_import"
KIND = "statement"  # students.ImportPreview.kind

LABELS = {
    "date": gettext_lazy("Ngày giao dịch"),
    "amount": gettext_lazy("Số tiền ghi có (tiền vào)"),
    "note": gettext_lazy("Nội dung chuyển khoản"),
    "reference": gettext_lazy("Mã giao dịch của ngân hàng"),
    "debit": gettext_lazy("Số tiền ghi nợ (tiền ra)"),
}


def reason_text(name: str, reason: str) -> str:
    """A parsing reason code, for the accountant."""
    if reason == parsing.MISSING:
        return {
            "date": gettext("Thiếu ngày giao dịch."),
            "amount": gettext("Thiếu số tiền ghi có."),
            "reference": gettext("Thiếu mã giao dịch của ngân hàng."),
        }[name]
    if reason == parsing.UNREADABLE and name == "date":
        return gettext("Không đọc được ngày: hãy ghi dd/mm/yyyy (ví dụ 15/09/2026), có thể kèm giờ.")
    return {
        parsing.UNREADABLE: gettext("Không đọc được số tiền (ví dụ đúng: 1.500.000)."),
        parsing.NEGATIVE: gettext("Số tiền âm: cột ghi có chỉ chứa tiền vào."),
        parsing.FRACTION: gettext("Số tiền có phần lẻ: tiền đồng phải là số nguyên."),
        parsing.TOO_LARGE: gettext("Số tiền quá lớn (quá 13 chữ số)."),
        parsing.FUTURE: gettext("Ngày giao dịch ở tương lai."),
        parsing.TOO_LONG: gettext("Mã giao dịch dài quá 64 ký tự."),
        parsing.BOTH: gettext("Dòng có cả tiền ghi nợ và tiền ghi có."),
    }[reason]


class Status:
    NEW, EXISTS, OUTGOING, SUMMARY, BAD = "new", "exists", "outgoing", "summary", "bad"


STATUS_LABELS = {
    Status.NEW: gettext_lazy("mới"),
    Status.EXISTS: gettext_lazy("đã có"),
    Status.OUTGOING: gettext_lazy("tiền ra, bỏ qua"),
    Status.SUMMARY: gettext_lazy("dòng tổng, bỏ qua"),
    Status.BAD: gettext_lazy("lỗi"),
}


@dataclass(eq=False)  # rows are told apart by identity (dict keys)
class StatementRow:
    """One data line as the preview shows it."""

    line: int
    date: str  # as written in the file
    amount: str
    note: str
    reference: str
    status: str = Status.BAD
    entry: parsing.Entry | None = None
    provider_id: str = ""
    exists_as: str = ""  # the source that already brought it
    pays: list[tuple[str, str, int]] = field(default_factory=list)  # (invoice code, student, đồng)
    overpaid: int = 0  # đồng beyond what the last invoice named owes
    unknown_codes: list[str] = field(default_factory=list)  # codes naming no open invoice
    reasons: list[str] = field(default_factory=list)  # a bad row's problems

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class StatementSummary(Counts):
    rows: int = 0
    new: int = 0
    new_amount: int = 0
    matched: int = 0  # new rows that pay at least one invoice
    unmatched: int = 0  # new rows left for the accountant (no code of an open invoice)
    existing: int = 0
    outgoing: int = 0
    totals: int = 0  # the bank's total and balance lines


@dataclass
class StatementReport(Report):
    summary: StatementSummary = field(default_factory=StatementSummary)
    rows: list[StatementRow] = field(default_factory=list)

    @property
    def token(self) -> str:
        """The fingerprint of what the preview shows (schoolbook.confirm): a row's status, id, amount or
        invoices changed since (a feed brought it, an invoice was paid) and the preview is shown again."""
        return confirmation_token(
            [(r.line, r.status, r.provider_id, r.entry and r.entry.amount, r.pays) for r in self.rows]
        )


def statement_importer(mapping: dict[str, str]) -> Importer:
    """The import of a statement whose columns `mapping` names (field → the file's header text)."""
    spec = [(name, mapping[name], True) for name, _required in parsing.FIELDS if mapping.get(name)]
    columns = Columns(spec, others_ignored=True)
    return Importer(
        columns=columns,
        sheet="",
        action=ACTION,
        report_class=StatementReport,
        check_rows=functools.partial(_check_rows, headers=columns.headers),
        check_against_school=_check_against_school,
        apply=_apply,
        header=functools.partial(table_header, mapping=mapping),
    )


def table_header(table: Table, mapping: dict[str, str] | None = None) -> int:
    """Index of the header line in the table (parsing.header_index); the first line if none is found (the
    mapped columns are then reported missing)."""
    lines = [[text_of(cell.value) for cell in cells] for _line, cells in table.rows]
    return parsing.header_index(lines, mapping) or 0


def _check_rows(table: Table, columns: dict[str, int], report: StatementReport, *, headers) -> list:
    today = timezone.localdate()
    for row in data_rows(table, columns, headers, report):
        cells = {name: row.cell(name).value for name in columns}
        shown = StatementRow(
            line=row.line,
            date=row.value("date"),
            amount=row.value("amount") or row.value("debit"),
            note=row.value("note"),
            reference=row.value("reference"),
        )
        report.rows.append(shown)
        cells["note"] = row.value("note")  # a number cell reads as people see it ("12345", not "12345.0")
        if "reference" in cells:
            cells["reference"] = row.value("reference")
        reading = parsing.row_read(cells, [text_of(cell.value) for cell in row.cells], today=today)
        for name, reason in reading.problems:
            row.bad(name, reason_text(name, reason))
        if reading.skipped:
            shown.status = Status.OUTGOING if reading.skipped == parsing.OUTGOING else Status.SUMMARY
        elif reading.entry is not None and row.ok:
            shown.entry = reading.entry
    # formula lines never reach the loop above (the flow refuses them), yet the preview lists every line
    listed = {row.line for row in report.rows}
    for line, _cells in table.rows[1:]:
        if line not in listed:
            report.rows.append(StatementRow(line, "", "", "", ""))
    report.rows.sort(key=lambda shown: shown.line)
    return [shown for shown in report.rows if shown.entry is not None]


def _check_against_school(rows: list[StatementRow], report: StatementReport) -> None:
    """Ids, references repeated in the file, and what the school already has."""
    entries = [row.entry for row in rows]
    for row, provider_id in zip(rows, parsing.provider_ids(entries), strict=True):
        row.provider_id = provider_id
    for index, first in parsing.repeated_references(entries).items():
        row = rows[index]
        report.problem(
            row.line,
            "",
            row.reference,
            gettext("Mã giao dịch trùng với dòng %(line)d.") % {"line": rows[first].line},
        )
    bad_lines = {problem.line for problem in report.problems}
    for row in rows:
        row.status = Status.BAD if row.line in bad_lines else Status.NEW
    for row, source in _already_there(rows).items():
        row.status, row.exists_as = Status.EXISTS, source
    summary = report.summary
    for row in report.rows:
        if row.status == Status.EXISTS:
            summary.existing += 1
        elif row.status == Status.OUTGOING:
            summary.outgoing += 1
        elif row.status == Status.SUMMARY:
            summary.totals += 1


def _already_there(rows: list[StatementRow]) -> dict[StatementRow, str]:
    """The rows the ledger already holds: imported before (same provider id), or brought by a bank feed
    with the same reference and amount (the statement must not count a transfer twice)."""
    by_id = {row.provider_id: row for row in rows}
    found = {}
    imported = BankTransaction.objects.filter(
        source=BankTransaction.Source.STATEMENT, provider_id__in=by_id
    ).values_list("provider_id", flat=True)
    for provider_id in imported:
        found[by_id[provider_id]] = BankTransaction.Source.STATEMENT.label
    by_reference = {(row.entry.reference, row.entry.amount): row for row in rows if row.entry.reference}
    fed = (
        BankTransaction.objects.exclude(source=BankTransaction.Source.STATEMENT)
        .filter(reference__in={reference for reference, _amount in by_reference})
        .values_list("reference", "amount", "source")
    )
    for reference, amount, source in fed:
        if (reference, amount) in by_reference:
            found.setdefault(by_reference[reference, amount], BankTransaction.Source(source).label)
    return found


def _apply(rows: list[StatementRow], report: StatementReport, *, school, actor, write: bool) -> None:
    """Preview (write=False) or record (write=True) the new rows, oldest first, as the ledger would."""
    new = sorted((row for row in rows if row.status == Status.NEW), key=lambda r: (_aware(r), r.line))
    if write:
        _record(new, report.summary)
    else:
        _foresee(new, report.summary)


def _record(rows: list[StatementRow], summary: StatementSummary) -> None:
    """Every new row through the ledger at once (one batch: stored once each, matched in this order)."""
    arrived = _already_there(rows)  # brought by a feed since the check
    recorded = transactions_record([_incoming(row) for row in rows if row not in arrived])
    summary.existing += len(rows) - len(recorded)  # and those someone else imported meanwhile
    for stored in recorded:
        summary.new += 1
        summary.new_amount += stored.amount
        if stored.unapplied < stored.amount:
            summary.matched += 1
        else:
            summary.unmatched += 1


def _foresee(rows: list[StatementRow], summary: StatementSummary) -> None:
    """Which invoices each new row would pay: the ledger's own matching, read-only, row after row as it
    will record them (an invoice paid in full by one row is no longer open for the next)."""
    foreseen = transactions_foresee([_incoming(row) for row in rows])
    student_ids = {invoice.student_id for _allocation, paying in foreseen for invoice, _amount in paying}
    names = dict(Student.objects.filter(pk__in=student_ids).values_list("pk", "full_name"))
    for row, (allocation, paying) in zip(rows, foreseen, strict=True):
        row.pays = [(invoice.code, names.get(invoice.student_id, ""), amount) for invoice, amount in paying]
        row.overpaid = allocation.overpaid[1] if allocation.overpaid else 0
        row.unknown_codes = allocation.unknown_codes
        summary.new += 1
        summary.new_amount += row.entry.amount
        if row.pays:
            summary.matched += 1
        else:
            summary.unmatched += 1


def _incoming(row: StatementRow) -> Incoming:
    return Incoming(
        source=BankTransaction.Source.STATEMENT,
        provider_id=row.provider_id,
        amount=row.entry.amount,
        note=row.entry.note,
        occurred_at=_aware(row),
        reference=row.entry.reference,
    )


def _aware(row: StatementRow) -> datetime.datetime:
    moment = row.entry.occurred_at
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
