"""One upload → preview → confirm flow for every spreadsheet import (the roster's students and staff here;
a gradebook import can use the same parts):

1. Upload: a form based on `SpreadsheetUploadForm` refuses a file over MAX_BYTES before it is read.
2. Preview: `preview_save` keeps the bytes in the school's schema (ImportPreview, one per person, for
   PREVIEW_SECONDS, under a random token; `kind` and an optional `context` such as a class and term bind it
   to one page), then the import's check reads them (`read_table` / `read_tables`: .xlsx through
   schoolbook.spreadsheets, or UTF-8 .csv) and reports every problem with its line, column, value and reason
   (`Report`), downloadable as `problems_csv`.
3. Confirm: `preview_confirmed` finds the preview again only if it is the actor's, alive, of the same kind
   and context, and of the bytes they saw (its SHA-256); the import checks them again and commits all or
   nothing; `preview_delete` then drops it. Expired previews go with the next upload or the hourly
   `previews_clean` (students.tasks).

A one-table import is an `Importer`: its columns (headers matched after folding), how it checks rows and the
school's data, and `apply(write=…)`, which counts the changes (dry run) or makes them (commit) on one code
path."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
import zipfile
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from schoolbook.audit.services import audit_record
from schoolbook.forms import phone_error_text
from schoolbook.phones import PhoneError, normalize_phone
from schoolbook.spreadsheets import SpreadsheetError, cell_text, not_a_spreadsheet, workbook_open
from schoolbook.text import fold, nfc
from students.models import ImportPreview

MAX_BYTES = settings.SPREADSHEET_MAX_BYTES
MAX_ROWS = 10_000
MAX_COLUMNS = 60


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class Problem:
    line: int  # 0: the whole file
    column: str
    value: str
    reason: str


@dataclass
class Notice:
    line: int
    column: str
    value: str
    message: str


class Counts:
    """Base of a summary dataclass: `rows` and the `*_unchanged` counts are not changes."""

    @property
    def has_changes(self) -> bool:
        return any(
            value for name, value in vars(self).items() if name != "rows" and not name.endswith("_unchanged")
        )


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    summary: object = None
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, line: int, column: str, value, reason: str) -> None:
        self.problems.append(Problem(line, column, text_of(value), reason))


def problems_csv(problems: list, *, with_sheet: bool = False) -> str:
    """The problems as a UTF-8 CSV (with BOM, so Excel shows the accents) for download; `with_sheet`: a
    workbook of several sheets (the gradebook) names each problem's sheet first."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    sheet = [gettext("Trang")] if with_sheet else []
    writer.writerow([*sheet, gettext("Dòng"), gettext("Cột"), gettext("Giá trị"), gettext("Lý do")])
    for problem in problems:
        sheet = [cell_text(problem.sheet)] if with_sheet else []
        writer.writerow(
            [*sheet, problem.line or "", cell_text(problem.column), cell_text(problem.value), problem.reason]
        )
    return out.getvalue()


# --- reading the file -----------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object  # str, int, float, datetime, date, bool or None
    is_formula: bool = False


@dataclass
class Table:
    rows: list[tuple[int, list[Cell]]]  # (line number, cells); the first is the header
    epoch: dt.datetime | None = None  # xlsx date system for serial numbers


def read_table(data: bytes, filename: str, report: Report, sheet: str = "") -> Table | None:
    """File-level checks and reading; None (with a problem in the report) if the file is unusable. In a
    workbook, the sheet named `sheet` (folded) if there is one, else the first."""

    def choose(titles: list[str]) -> list[str]:
        return [next((t for t in titles if header_key(t) == header_key(sheet)), titles[0])] if titles else []

    tables = read_tables(data, filename, report, choose)
    if tables is None:
        return None
    return table_check(next(iter(tables.values())), filename, report) if tables else None


def read_tables(data: bytes, filename: str, report: Report, choose=list) -> dict[str, Table] | None:
    """The file's tables by sheet title (a CSV: one, titled ""), the workbook opened once and only the sheets
    `choose(titles)` names read; None (with a problem in the report) if the file is unusable. At most
    MAX_ROWS + 50 lines are read in all: a file with more is refused. Each table then goes through
    `table_check`."""
    if len(data) > MAX_BYTES:
        report.problem(0, "", filename, gettext("Tệp lớn hơn 10 MB."))
        return None
    if not data.strip():
        report.problem(0, "", filename, gettext("Tệp trống."))
        return None
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, filename, report, choose)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        report.problem(0, "", filename, gettext("Tệp .xls cũ không được hỗ trợ: hãy lưu lại thành .xlsx."))
        return None
    if name.endswith((".xlsx", ".xlsm")) or b"\x00" in data[:4096]:
        report.problem(0, "", filename, not_a_spreadsheet())
        return None
    table = _read_csv(data, filename, report)
    return None if table is None else {"": table}


def table_check(table: Table, filename: str, report: Report) -> Table | None:
    """The table without its empty lines; None (with a problem) when it has no data line or too many."""
    table.rows = [(line, cells) for line, cells in table.rows if any(text_of(c.value) for c in cells)]
    if len(table.rows) > MAX_ROWS + 1:
        report.problem(0, "", filename, _too_many_rows())
        return None
    if len(table.rows) < 2:
        report.problem(0, "", filename, gettext("Tệp không có dòng dữ liệu nào."))
        return None
    return table


def _too_many_rows() -> str:
    return gettext("Tệp có quá nhiều dòng (tối đa 10.000 dòng).")


def _read_xlsx(data: bytes, filename: str, report: Report, choose) -> dict[str, Table] | None:
    """The chosen sheets, after schoolbook.spreadsheets' zip check, from one read-only opening; reading
    stops at MAX_COLUMNS columns and, over all sheets, MAX_ROWS + 50 lines."""
    try:
        workbook = workbook_open(data)
    except SpreadsheetError as error:
        report.problem(0, "", filename, str(error))
        return None
    try:
        budget = MAX_ROWS + 50
        tables = {}
        for title in choose(list(workbook.sheetnames)):
            rows = []
            for line, row in enumerate(workbook[title].iter_rows(max_col=MAX_COLUMNS), start=1):
                if len(rows) == budget:
                    report.problem(0, "", filename, _too_many_rows())
                    return None
                rows.append((line, [_xlsx_cell(cell) for cell in row]))
            budget -= len(rows)
            tables[title] = Table(rows=rows, epoch=workbook.epoch)
        return tables
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError, SyntaxError):
        report.problem(0, "", filename, not_a_spreadsheet())
        return None
    finally:
        workbook.close()


def _xlsx_cell(cell) -> Cell:
    value = getattr(cell, "value", None)
    if value is None:  # most cells of a row padded to MAX_COLUMNS
        return Cell(None)
    is_formula = getattr(cell, "data_type", None) == "f" or looks_like_formula(value)
    if is_formula and not isinstance(value, str):  # an array or data-table formula object
        value = str(getattr(value, "text", "") or "=")
    return Cell(value, is_formula)


def looks_like_formula(value) -> bool:
    """Text that a spreadsheet would run, once leading spaces are gone (" =HYPERLINK(…)" is one)."""
    return isinstance(value, str) and nfc(value).strip().startswith("=")


def _read_csv(data: bytes, filename: str, report: Report) -> Table | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.problem(0, "", filename, gettext("Tệp CSV phải dùng mã hoá UTF-8 (Excel: “CSV UTF-8”)."))
        return None
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            if reader.line_num > MAX_ROWS + 50:
                break
            rows.append((reader.line_num, [Cell(value, looks_like_formula(value)) for value in cells]))
    except csv.Error:
        report.problem(0, "", filename, gettext("Không phải tệp bảng tính .xlsx hoặc .csv."))
        return None
    return Table(rows=rows)


def text_of(value) -> str:
    """A cell as text: numbers without a spurious ".0", NFC, single spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.strftime("%d/%m/%Y")
    return nfc(str(value))


def header_key(text: str) -> str:
    return " ".join(fold(str(text)).replace("*", " ").split())


# --- headers and rows -------------------------------------------------------------------------------------


class Columns:
    """A template's columns: (key, Vietnamese header, required) and folded aliases. `others_ignored`: the
    file is not ours (a bank's statement) and its other columns are ignored without a notice."""

    def __init__(
        self,
        spec: list[tuple[str, str, bool]],
        aliases: dict[str, str] | None = None,
        *,
        others_ignored: bool = False,
    ):
        self.spec = spec
        self.headers = {key: header for key, header, _required in spec}
        self.lookup = {header_key(header): key for key, header, _required in spec} | (aliases or {})
        self.others_ignored = others_ignored

    def map(self, header: list[Cell], line: int, report: Report) -> dict[str, int] | None:
        """Column key → index; None (with problems) if a required header is missing or one repeats."""
        columns: dict[str, int] = {}
        for index, cell in enumerate(header):
            raw = text_of(cell.value)
            if not raw:
                continue
            key = self.lookup.get(header_key(raw))
            if key is None and self.others_ignored:
                continue
            if key is None:
                report.notices.append(
                    Notice(
                        line,
                        raw,
                        "",
                        gettext("Cột “%(column)s” không có trong mẫu và được bỏ qua.") % {"column": raw},
                    )
                )
            elif key in columns:
                report.problem(line, raw, raw, gettext("Cột bị lặp lại."))
            else:
                columns[key] = index
        for key, header_text, required in self.spec:
            if required and key not in columns:
                report.problem(
                    line,
                    header_text,
                    "",
                    gettext("Thiếu cột bắt buộc “%(column)s”.") % {"column": header_text},
                )
        return None if report.problems else columns


class Row:
    """One data line: its cells by column key, and problems reported against its line and columns."""

    def __init__(self, line: int, cells: list[Cell], columns: dict[str, int], headers: dict, report: Report):
        self.line, self.cells, self.columns, self.headers, self.report = line, cells, columns, headers, report
        self.problems_before = len(report.problems)

    def cell(self, key: str) -> Cell:
        index = self.columns.get(key)
        return self.cells[index] if index is not None and index < len(self.cells) else Cell(None)

    def value(self, key: str) -> str:
        return text_of(self.cell(key).value)

    def bad(self, key: str, reason: str, raw=None) -> None:
        self.report.problem(self.line, self.headers[key], self.value(key) if raw is None else raw, reason)

    def notice(self, key: str, raw, message: str) -> None:
        self.report.notices.append(Notice(self.line, self.headers[key], text_of(raw), message))

    @property
    def ok(self) -> bool:
        return len(self.report.problems) == self.problems_before

    def has_formulas(self) -> bool:
        """Formulas are refused (their values may not be what the school sees): each is a problem."""
        formulas = [key for key in self.columns if self.cell(key).is_formula]
        for key in formulas:
            self.bad(key, gettext("Công thức không được phép: hãy dán giá trị."), self.cell(key).value)
        return bool(formulas)

    def phone(self, key: str, missing: str) -> str | None:
        """The phone in E.164, or None (with a problem); a legacy 11-digit number converted is a notice."""
        phone = self.value(key)
        if not phone:
            self.bad(key, missing)
            return None
        try:
            normalized = normalize_phone(phone)
        except PhoneError as error:
            self.bad(key, phone_error_text(error))
            return None
        if normalized.legacy_from:
            self.notice(
                key,
                phone,
                gettext("Số cũ 11 chữ số đã được đổi: %(old)s → %(new)s")
                % {"old": normalized.legacy_from, "new": normalized.national},
            )
        return normalized.e164


def data_rows(table: Table, columns: dict[str, int], headers: dict, report: Report):
    """Each data line as a `Row`, formulas already refused (such a line is skipped)."""
    report.summary.rows = len(table.rows) - 1
    for line, cells in table.rows[1:]:
        row = Row(line, cells, columns, headers, report)
        if not row.has_formulas():
            yield row


# --- check, dry run and commit ------------------------------------------------------------------------------


class Importer:
    """One kind of import: its columns, workbook sheet, audit action, report class and three functions:
    `check_rows(table, columns, report)`, `check_against_school(rows, report)` and
    `apply(rows, report, *, school, actor, write)`. The header is the table's first line unless
    `header(table)` says which (a bank's statement has title lines above its table); lines above it are not
    read."""

    def __init__(
        self, *, columns, sheet, action, report_class, check_rows, check_against_school, apply, header=None
    ):
        self.columns, self.sheet, self.action, self.new_report = columns, sheet, action, report_class
        self.check_rows, self.check_against_school, self.apply = check_rows, check_against_school, apply
        self.header = header

    def validated_rows(self, data: bytes, filename: str, report: Report) -> list:
        table = read_table(data, filename, report, self.sheet)
        if table is None:
            return []
        if self.header is not None:
            table.rows = table.rows[self.header(table) :]
        columns = self.columns.map(table.rows[0][1], table.rows[0][0], report)
        if columns is None:
            return []
        rows = self.check_rows(table, columns, report)
        self.check_against_school(rows, report)
        report.problems.sort(key=lambda problem: problem.line)  # stable: columns stay in order within a line
        return rows

    def check(self, data: bytes, filename: str) -> Report:
        """Everything but the writes: the report with its problems, notices and the preview counts."""
        report = self.new_report()
        rows = self.validated_rows(data, filename, report)
        if report.ok:
            self.apply(rows, report, school=None, actor=None, write=False)
        return report

    def commit(self, *, actor, school, data: bytes, filename: str) -> Report:
        """Check again, then commit everything or nothing. `report.committed` tells which happened."""
        report = self.new_report()
        rows = self.validated_rows(data, filename, report)
        if not report.ok:
            return report
        with transaction.atomic():
            self.apply(rows, report, school=school, actor=actor, write=True)
            if not report.ok:  # found while writing (e.g. a concurrent change): undo everything
                transaction.set_rollback(True)
                return report
            audit_record(
                actor=actor,
                action=self.action,
                object_repr=filename,
                after=dict(vars(report.summary)),
            )
            report.committed = True
        return report

    def template_workbook(self, example_row: list, text_keys) -> bytes:
        """The empty template: Vietnamese headers, one example row, text-formatted columns `text_keys`."""
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = self.sheet
        sheet.append([header for _key, header, _required in self.columns.spec])
        sheet.append(example_row)
        for index, (key, _header, required) in enumerate(self.columns.spec, start=1):
            cell = sheet.cell(row=1, column=index)
            cell.font = Font(bold=required)
            sheet.column_dimensions[cell.column_letter].width = 22
            if text_keys(key):
                for row in range(2, 2002):
                    sheet.cell(row=row, column=index).number_format = "@"
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


# --- upload, stored preview, confirmation -----------------------------------------------------------------


class SpreadsheetUploadForm(forms.Form):
    """Base of an import's upload form; the subclass declares `file` with its own label and accepted types."""

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(gettext("Tệp lớn hơn 10 MB."))
        return upload


PREVIEW_SECONDS = 30 * 60


def _expired_before(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(seconds=PREVIEW_SECONDS)


@transaction.atomic
def preview_save(
    *, actor, kind: str, data: bytes, filename: str, context: dict | None = None
) -> ImportPreview:
    """Keep `data` for the actor's confirmation, replacing their previous preview; expired ones go too."""
    now = timezone.now()
    ImportPreview.objects.filter(created_at__lt=_expired_before(now)).delete()
    ImportPreview.objects.filter(user=actor).delete()
    return ImportPreview.objects.create(
        user=actor,
        token=secrets.token_urlsafe(16),
        kind=kind,
        filename=filename[-255:],
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        context=context or {},
        created_at=now,
    )


def preview_get(*, actor, token: str, kind: str | tuple[str, ...], context: dict | None = None):
    """The actor's live preview with this token (and kind and context), or None."""
    kinds = (kind,) if isinstance(kind, str) else kind
    preview = (
        ImportPreview.objects.filter(
            user=actor, token=token, kind__in=kinds, created_at__gte=_expired_before(timezone.now())
        ).first()
        if token
        else None
    )
    if preview is None or (context is not None and preview.context != context):
        return None
    preview.data = bytes(preview.data)  # psycopg hands back a memoryview
    return preview


def preview_confirmed(
    *, actor, token: str, sha256: str | None, kind: str | tuple[str, ...], context: dict | None = None
):
    """The preview a confirmation names, only if it is also of the bytes the person saw; else None (expired,
    replaced by a newer upload, or another file)."""
    preview = preview_get(actor=actor, token=token, kind=kind, context=context)
    return preview if preview is not None and preview.sha256 == sha256 else None


def preview_delete(*, actor, preview: ImportPreview) -> None:
    ImportPreview.objects.filter(pk=preview.pk, user=actor).delete()


def previews_clean(now: dt.datetime | None = None) -> int:
    """Delete the school's expired previews; how many."""
    deleted, _ = ImportPreview.objects.filter(created_at__lt=_expired_before(now or timezone.now())).delete()
    return deleted
