"""What the roster imports (students with guardians, staff) share: reading an .xlsx/.csv into cells, matching
headers after folding, reading and checking a row's cells, the report (problems with line, column, value
and reason; notices), the dry run and the all-or-nothing commit sharing one code path, and the template.

An import is an `Importer`: its columns, how it checks rows and the school's data, and `apply(write=…)`,
which counts the changes (dry run) or makes them (commit)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from schoolbook.audit.services import audit_record, client_ip
from schoolbook.forms import phone_error_text
from schoolbook.phones import PhoneError, normalize_phone
from schoolbook.spreadsheets import SpreadsheetError, cell_text, not_a_spreadsheet, workbook_open
from schoolbook.text import fold, nfc
from tenants.models import SchoolAffiliation

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
    new_classes: dict = field(default_factory=dict)  # class_key → unsaved SchoolClass (ClassFinder)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, line: int, column: str, value, reason: str) -> None:
        self.problems.append(Problem(line, column, text_of(value), reason))


def problems_csv(problems: list[Problem]) -> str:
    """The problems as a UTF-8 CSV (with BOM, so Excel shows the accents) for download."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext("Dòng"), gettext("Cột"), gettext("Giá trị"), gettext("Lý do")])
    for problem in problems:
        writer.writerow(
            [problem.line or "", cell_text(problem.column), cell_text(problem.value), problem.reason]
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


def class_key(name: str) -> str:
    return header_key(name).replace(" ", "").upper()


# --- classes named by the file ---------------------------------------------------------------------------


class ClassFinder:
    """The current year's classes by the name a file gives ("6a1" = "6A1"). A name the year does not have
    becomes a new class (unsaved, kept in `report.new_classes`, listed in the preview and created on commit
    by `new_classes_create`) when its leading number is one of the school's grades; otherwise, or when the
    class is archived, the row gets a problem with the reason."""

    def __init__(self, report: Report):
        from students.models import GradeLevel, SchoolClass, SchoolYear

        self.report = report
        self.year = SchoolYear.objects.filter(is_current=True).first()
        self.grades = {grade.number: grade for grade in GradeLevel.objects.all()}
        self.classes = {
            class_key(c.name): c
            for c in SchoolClass.objects.filter(year=self.year).select_related(
                "grade", "homeroom_teacher__user"
            )
        }

    def find(self, name: str, line: int, column: str):
        from students.models import SchoolClass
        from students.setup.class_names import clean_name, leading_grade

        key = class_key(name)
        school_class = self.classes.get(key) or self.report.new_classes.get(key)
        if school_class is not None and school_class.archived_at is None:
            return school_class
        if school_class is not None:
            reason = gettext("Lớp “%(name)s” đã lưu trữ.") % {"name": school_class.name}
        elif self.year is None:
            reason = gettext("Trường chưa có năm học hiện tại.")
        elif len(clean_name(name)) > 20:
            reason = gettext("Tên lớp dài tối đa 20 ký tự.")
        elif leading_grade(name) not in self.grades:
            reason = gettext(
                "Lớp “%(name)s” không có trong năm học hiện tại và không tạo được: tên lớp phải bắt đầu bằng "
                "một khối của trường (%(grades)s)."
            ) % {"name": name, "grades": ", ".join(map(str, sorted(self.grades)))}
        else:
            school_class = SchoolClass(
                name=clean_name(name), grade=self.grades[leading_grade(name)], year=self.year
            )
            self.report.new_classes[key] = school_class
            return school_class
        self.report.problem(line, column, name, reason)
        return None


def new_classes_create(report: Report, *, actor, write: bool) -> int:
    """Create the classes the file named that the year did not have (inside the import's transaction, so
    all or nothing); their objects, already held by the rows, get their ids. Returns how many."""
    from students.models import SchoolClass

    classes = list(report.new_classes.values())
    if write and classes:
        SchoolClass.objects.bulk_create(classes)
        audit_record(
            actor=actor,
            action="class.bulk_create",
            obj=classes[0].year,
            after={"created": [c.name for c in classes], "by_import": True},
        )
    return len(classes)


# --- headers and rows -------------------------------------------------------------------------------------


class Columns:
    """A template's columns: (key, Vietnamese header, required) and folded aliases."""

    def __init__(self, spec: list[tuple[str, str, bool]], aliases: dict[str, str] | None = None):
        self.spec = spec
        self.headers = {key: header for key, header, _required in spec}
        self.lookup = {header_key(header): key for key, header, _required in spec} | (aliases or {})

    def map(self, header: list[Cell], line: int, report: Report) -> dict[str, int] | None:
        """Column key → index; None (with problems) if a required header is missing or one repeats."""
        columns: dict[str, int] = {}
        for index, cell in enumerate(header):
            raw = text_of(cell.value)
            if not raw:
                continue
            key = self.lookup.get(header_key(raw))
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
    `apply(rows, report, *, school, actor, write)`."""

    def __init__(self, *, columns, sheet, action, report_class, check_rows, check_against_school, apply):
        self.columns, self.sheet, self.action, self.new_report = columns, sheet, action, report_class
        self.check_rows, self.check_against_school, self.apply = check_rows, check_against_school, apply

    def validated_rows(self, data: bytes, filename: str, report: Report) -> list:
        table = read_table(data, filename, report, self.sheet)
        if table is None:
            return []
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


# --- users and affiliations in bulk ----------------------------------------------------------------------


def users_create(names: dict[str, str], *, actor) -> dict[str, User]:
    """What accounts.services.user_get_or_create does for one new person, in bulk (phone → full name): a
    user without a usable password (they log in with a one-time code) and a `user.create` audit event."""
    if not names:
        return {}
    new = []
    for phone, full_name in names.items():
        user = User(phone=phone, full_name=full_name)
        user.set_unusable_password()
        new.append(user)
    created = User.objects.bulk_create(new, batch_size=1000)
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    ip = client_ip()
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(actor=actor, action="user.create", object_type=User._meta.label_lower,
                       object_id=str(user.pk), object_repr=str(user)[:200], after={"phone": user.phone},
                       ip_address=ip)
            for user in created
        ],
        batch_size=1000,
    )  # fmt: skip
    return {user.phone: user for user in created}


def affiliations_add(users: list[User], school, *, flag: str) -> None:
    """tenants.services.affiliation_add(is_guardian=True or is_staff=True) for many users (`flag` is
    "is_guardian" or "is_staff"): two or three queries."""
    existing = {a.user_id: a for a in SchoolAffiliation.objects.filter(school=school, user__in=users)}
    SchoolAffiliation.objects.bulk_create(
        [SchoolAffiliation(user=user, school=school, **{flag: True}) for user in users
         if user.pk not in existing],
        batch_size=1000,
    )  # fmt: skip
    SchoolAffiliation.objects.filter(pk__in=[a.pk for a in existing.values() if not getattr(a, flag)]).update(
        **{flag: True}
    )
