"""Roster import: students with their guardians, from the school's .xlsx or UTF-8 .csv template.

Three steps, each usable alone:
- `read_table(data, filename)`: bytes → header + rows of cells, or file-level problems (size, empty,
  not a spreadsheet, not UTF-8). No Django database access.
- `roster_check(data, filename)`: headers and every cell validated, the current school's classes and
  students consulted, and the changes an import would make counted. Call inside the school's schema.
- `roster_import(...)`: the same check, then, only if there is no problem at all, every change in one
  transaction (all-or-nothing) and one `roster.import` audit event.

Rules chosen here (documented for the school in the template and the preview page):
- Headers are matched after NFC, case and accent folding ("ma hoc sinh" = "Mã học sinh"). A missing
  required header is an error naming it; an unknown extra column (e.g. "STT") is a notice and is ignored.
- Line numbers are the spreadsheet's own (the header is line 1); file-level problems have line 0.
- Blank optional cells never clear what the school already has (national ID, guardian e-mail).
- Students are matched by student code, guardians by phone (E.164). A student's first enrolment of the
  current year starts on the year's first day; a move between classes of the year starts today and ends
  the old enrolment yesterday (as services.enrolment_move does). Guardian links are created or updated,
  never removed by an import.
- Every guardian gets a platform user (no password: they log in with a one-time code) and a guardian
  affiliation with the school, so the parent home finds them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from schoolbook.audit.models import AuditEvent
from schoolbook.audit.services import audit_record, client_ip
from schoolbook.caching import forget_now_and_on_commit
from schoolbook.forms import phone_error_text
from schoolbook.phones import PhoneError, normalize_phone
from schoolbook.text import fold, nfc
from students.models import (
    Enrolment,
    Gender,
    Guardian,
    Relationship,
    SchoolClass,
    SchoolYear,
    Student,
    StudentGuardian,
    StudentStatus,
)
from tenants.models import SchoolAffiliation

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 60
MIN_AGE, MAX_AGE = 3, 25

# (key, header in the template, required header)
STUDENT_COLUMNS: list[tuple[str, str, bool]] = [
    ("student_code", "Mã học sinh", True),
    ("full_name", "Họ và tên", True),
    ("date_of_birth", "Ngày sinh", True),
    ("gender", "Giới tính", True),
    ("class_name", "Lớp", True),
    ("national_id", "Số định danh cá nhân", False),
    ("g1_name", "Họ tên phụ huynh 1", True),
    ("g1_relationship", "Quan hệ 1", True),
    ("g1_phone", "SĐT phụ huynh 1", True),
    ("g1_email", "Email phụ huynh 1", False),
    ("g2_name", "Họ tên phụ huynh 2", False),
    ("g2_relationship", "Quan hệ 2", False),
    ("g2_phone", "SĐT phụ huynh 2", False),
    ("g2_email", "Email phụ huynh 2", False),
]
HEADERS = {key: header for key, header, _required in STUDENT_COLUMNS}
EXAMPLE_ROW = [
    "HS2025001",
    "Nguyễn Văn An",
    "05/09/2014",
    "Nam",
    "6A1",
    "001214012345",
    "Nguyễn Văn Bình",
    "Bố",
    "0912 345 678",
    "binh@example.com",
    "Trần Thị Cúc",
    "Mẹ",
    "0987 654 321",
    "",
]


def _header_key(text: str) -> str:
    return " ".join(fold(str(text)).replace("*", " ").split())


_ALIASES = {
    "ma hs": "student_code",
    "ho ten": "full_name",
    "ho va ten hoc sinh": "full_name",
    "so dinh danh": "national_id",
    "so dien thoai phu huynh 1": "g1_phone",
    "so dien thoai phu huynh 2": "g2_phone",
}
_HEADER_LOOKUP = {_header_key(header): key for key, header, _required in STUDENT_COLUMNS} | _ALIASES

_RELATIONSHIPS = {
    "bo": Relationship.FATHER,
    "cha": Relationship.FATHER,
    "me": Relationship.MOTHER,
    "ma": Relationship.MOTHER,
    "ong": Relationship.GRANDPARENT,
    "ba": Relationship.GRANDPARENT,
    "ong/ba": Relationship.GRANDPARENT,
    "ong ba": Relationship.GRANDPARENT,
    "anh": Relationship.SIBLING,
    "chi": Relationship.SIBLING,
    "anh/chi": Relationship.SIBLING,
    "anh chi": Relationship.SIBLING,
    "khac": Relationship.OTHER,
    "giam ho": Relationship.OTHER,
    "nguoi giam ho": Relationship.OTHER,
    "nguoi giam ho khac": Relationship.OTHER,
}
_GENDERS = {"nam": Gender.MALE, "nu": Gender.FEMALE}


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


@dataclass
class Summary:
    rows: int = 0
    students_created: int = 0
    students_updated: int = 0
    students_unchanged: int = 0
    guardians_created: int = 0
    guardians_updated: int = 0
    guardians_unchanged: int = 0
    users_created: int = 0
    links_created: int = 0
    links_updated: int = 0
    enrolments_created: int = 0
    enrolments_moved: int = 0

    @property
    def has_changes(self) -> bool:
        return any(
            value
            for name, value in vars(self).items()
            if name not in ("rows", "students_unchanged", "guardians_unchanged")
        )


@dataclass
class RosterReport:
    problems: list[Problem] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, line: int, column: str, value, reason: str) -> None:
        self.problems.append(Problem(line, column, _text(value), reason))


def problems_csv(problems: list[Problem]) -> str:
    """The problems as a UTF-8 CSV (with BOM, so Excel shows the accents) for download."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([gettext("Dòng"), gettext("Cột"), gettext("Giá trị"), gettext("Lý do")])
    for problem in problems:
        writer.writerow([problem.line or "", problem.column, _csv_safe(problem.value), problem.reason])
    return out.getvalue()


def _csv_safe(value: str) -> str:
    # A value echoed back to Excel must not run as a formula (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


# --- reading the file -----------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object  # str, int, float, datetime, date, bool or None
    is_formula: bool = False


@dataclass
class Table:
    rows: list[tuple[int, list[Cell]]]  # (line number, cells); the first is the header
    epoch: dt.datetime | None = None  # xlsx date system for serial numbers


def read_table(data: bytes, filename: str, report: RosterReport) -> Table | None:
    """File-level checks and reading; None (with a problem in the report) if the file is unusable."""
    if len(data) > MAX_BYTES:
        report.problem(0, "", filename, gettext("Tệp lớn hơn 10 MB."))
        return None
    if not data.strip():
        report.problem(0, "", filename, gettext("Tệp trống."))
        return None
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data, filename, report)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        report.problem(0, "", filename, gettext("Tệp .xls cũ không được hỗ trợ: hãy lưu lại thành .xlsx."))
        return None
    elif name.endswith((".xlsx", ".xlsm")) or b"\x00" in data[:4096]:
        report.problem(0, "", filename, gettext("Không phải tệp bảng tính .xlsx hoặc .csv."))
        return None
    else:
        table = _read_csv(data, filename, report)
    if table is None:
        return None
    table.rows = [(line, cells) for line, cells in table.rows if any(_text(c.value) for c in cells)]
    if len(table.rows) > MAX_ROWS + 1:
        report.problem(0, "", filename, gettext("Tệp có quá nhiều dòng (tối đa 10.000 học sinh)."))
        return None
    if len(table.rows) < 2:
        report.problem(0, "", filename, gettext("Tệp không có dòng dữ liệu nào."))
        return None
    return table


def _read_xlsx(data: bytes, filename: str, report: RosterReport) -> Table | None:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…)
        report.problem(0, "", filename, gettext("Không phải tệp bảng tính .xlsx hoặc .csv."))
        return None
    try:
        sheets = {_header_key(ws.title): ws for ws in workbook.worksheets}
        sheet = sheets.get("hoc sinh") or workbook.worksheets[0]
        rows = []
        for line, row in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            if line > MAX_ROWS + 50:
                break
            rows.append((line, [_xlsx_cell(cell) for cell in row]))
        return Table(rows=rows, epoch=workbook.epoch)
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError):
        report.problem(0, "", filename, gettext("Không phải tệp bảng tính .xlsx hoặc .csv."))
        return None
    finally:
        workbook.close()


def _xlsx_cell(cell) -> Cell:
    value = getattr(cell, "value", None)
    is_formula = getattr(cell, "data_type", None) == "f" or (isinstance(value, str) and value.startswith("="))
    if is_formula and not isinstance(value, str):  # an array or data-table formula object
        value = str(getattr(value, "text", "") or "=")
    return Cell(value, is_formula)


def _read_csv(data: bytes, filename: str, report: RosterReport) -> Table | None:
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
            rows.append((reader.line_num, [Cell(value, value.startswith("=")) for value in cells]))
    except csv.Error:
        report.problem(0, "", filename, gettext("Không phải tệp bảng tính .xlsx hoặc .csv."))
        return None
    return Table(rows=rows)


def _text(value) -> str:
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


# --- checking rows --------------------------------------------------------------------------------------


@dataclass
class GuardianRow:
    column: str  # the phone column's header, for problems found later
    full_name: str
    phone: str  # E.164
    email: str
    relationship: str


@dataclass
class StudentRow:
    line: int
    student_code: str
    full_name: str
    date_of_birth: dt.date
    gender: str
    class_name: str
    national_id: str
    guardians: list[GuardianRow]


def _map_headers(header: list[Cell], line: int, report: RosterReport) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        raw = _text(cell.value)
        if not raw:
            continue
        key = _HEADER_LOOKUP.get(_header_key(raw))
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
    for key, header_text, required in STUDENT_COLUMNS:
        if required and key not in columns:
            report.problem(
                line, header_text, "", gettext("Thiếu cột bắt buộc “%(column)s”.") % {"column": header_text}
            )
    return None if report.problems else columns


def _parse_date(cell: Cell, epoch) -> dt.date | None:
    """None if it is not a date at all; raises ValueError for an impossible one (31/02/2015)."""
    value = cell.value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value, epoch)
    text = _text(value)
    if re.fullmatch(r"\d{5}", text):
        return _from_serial(int(text), epoch)
    match = re.fullmatch(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return dt.date(year, month, day)
    return None


def _from_serial(serial: float, epoch) -> dt.date:
    from openpyxl.utils.datetime import CALENDAR_WINDOWS_1900, from_excel

    result = from_excel(serial, epoch or CALENDAR_WINDOWS_1900)
    if result is None:
        raise ValueError(serial)
    return result.date() if isinstance(result, dt.datetime) else result


def _check_rows(table: Table, columns: dict[str, int], report: RosterReport) -> list[StudentRow]:
    today = timezone.localdate()
    rows: list[StudentRow] = []
    seen_codes: dict[str, int] = {}
    seen_ids: dict[str, int] = {}
    seen_phones: dict[str, tuple[str, int]] = {}  # phone → (folded name, first line)
    for line, cells in table.rows[1:]:
        count_before = len(report.problems)

        def cell(key: str, cells=cells) -> Cell:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else Cell(None)

        def value(key: str) -> str:
            return _text(cell(key).value)

        def bad(key: str, reason: str, raw=None, line=line) -> None:
            report.problem(line, HEADERS[key], value(key) if raw is None else raw, reason)

        formulas = [key for key in columns if cell(key).is_formula]
        for key in formulas:
            bad(key, gettext("Công thức không được phép: hãy dán giá trị."), cell(key).value)
        if formulas:
            continue

        code = value("student_code")
        if not code:
            bad("student_code", gettext("Thiếu mã học sinh."))
        elif len(code) > 30:
            bad("student_code", gettext("Mã học sinh dài quá 30 ký tự."))
        elif code in seen_codes:
            bad("student_code", gettext("Trùng mã học sinh với dòng %(line)d.") % {"line": seen_codes[code]})
        else:
            seen_codes[code] = line

        full_name = value("full_name")
        if not full_name:
            bad("full_name", gettext("Thiếu họ và tên."))
        elif len(full_name) > 150:
            bad("full_name", gettext("Họ và tên dài quá 150 ký tự."))

        born = None
        if not value("date_of_birth"):
            bad("date_of_birth", gettext("Thiếu ngày sinh."))
        else:
            try:
                born = _parse_date(cell("date_of_birth"), table.epoch)
            except (ValueError, OverflowError):
                bad("date_of_birth", gettext("Ngày không tồn tại."))
            else:
                if born is None:
                    bad("date_of_birth", gettext("Ngày sinh phải có dạng dd/mm/yyyy (ví dụ 05/09/2014)."))
                elif not (MIN_AGE <= (today - born).days / 365.25 <= MAX_AGE):
                    bad("date_of_birth", gettext("Ngày sinh không hợp lý cho một học sinh."))
                    born = None

        gender = _GENDERS.get(_header_key(value("gender")))
        if gender is None:
            bad("gender", gettext("Giới tính phải là Nam hoặc Nữ."))

        class_name = value("class_name")
        if not class_name:
            bad("class_name", gettext("Thiếu lớp."))

        national_id = value("national_id").replace(" ", "")
        if national_id:
            if isinstance(cell("national_id").value, int | float) and national_id.isdigit():
                national_id = national_id.zfill(12)  # Excel drops the leading zeros of a number
            if not re.fullmatch(r"\d{12}", national_id):
                bad("national_id", gettext("Số định danh cá nhân gồm 12 chữ số."))
            elif national_id in seen_ids:
                bad(
                    "national_id",
                    gettext("Trùng số định danh với dòng %(line)d.") % {"line": seen_ids[national_id]},
                )
            else:
                seen_ids[national_id] = line

        guardians: list[GuardianRow] = []
        for number in ("1", "2"):
            guardian = _check_guardian(number, line, value, bad, report)
            if guardian is None:
                continue
            if any(other.phone == guardian.phone for other in guardians):
                bad(f"g{number}_phone", gettext("Hai phụ huynh của một học sinh trùng số điện thoại."))
                continue
            first = seen_phones.setdefault(guardian.phone, (fold(guardian.full_name), line))
            if first[0] != fold(guardian.full_name):
                bad(
                    f"g{number}_phone",
                    gettext("Số điện thoại này đã dùng cho phụ huynh khác tên ở dòng %(line)d.")
                    % {"line": first[1]},
                )
                continue
            guardians.append(guardian)

        if len(report.problems) == count_before:
            rows.append(StudentRow(line, code, full_name, born, gender, class_name, national_id, guardians))
    report.summary.rows = len(table.rows) - 1
    return rows


def _check_guardian(number: str, line: int, value, bad, report: RosterReport) -> GuardianRow | None:
    name_key, rel_key, phone_key, email_key = (
        f"g{number}_{part}" for part in ("name", "relationship", "phone", "email")
    )
    name, rel, phone, email = (value(key) for key in (name_key, rel_key, phone_key, email_key))
    if number == "2" and not any((name, rel, phone, email)):
        return None
    ok = True
    if not name:
        bad(name_key, gettext("Thiếu họ tên phụ huynh."))
        ok = False
    elif len(name) > 150:
        bad(name_key, gettext("Họ tên dài quá 150 ký tự."))
        ok = False
    relationship = _RELATIONSHIPS.get(_header_key(rel))
    if relationship is None:
        bad(rel_key, gettext("Quan hệ phải là Bố, Mẹ, Ông, Bà, Anh, Chị hoặc Khác."))
        ok = False
    normalized = None
    if not phone:
        bad(phone_key, gettext("Thiếu số điện thoại phụ huynh."))
        ok = False
    else:
        try:
            normalized = normalize_phone(phone)
        except PhoneError as error:
            bad(phone_key, phone_error_text(error))
            ok = False
    if email:
        try:
            validate_email(email)
        except ValidationError:
            bad(email_key, gettext("Email không hợp lệ."))
            ok = False
    if not ok:
        return None
    if normalized.legacy_from:
        report.notices.append(
            Notice(
                line,
                HEADERS[phone_key],
                phone,
                gettext("Số cũ 11 chữ số đã được đổi: %(old)s → %(new)s")
                % {"old": normalized.legacy_from, "new": normalized.national},
            )
        )
    return GuardianRow(HEADERS[phone_key], name, normalized.e164, email, relationship)


# --- against the school's data: check, count, and (when asked) write --------------------------------------


def roster_check(data: bytes, filename: str) -> RosterReport:
    """Everything but the writes: the report with its problems, notices and the preview counts."""
    report = RosterReport()
    rows = _validated_rows(data, filename, report)
    if report.ok:
        _apply(rows, report, school=None, actor=None, request=None, write=False)
    return report


def roster_import(*, actor, school, data: bytes, filename: str, request=None) -> RosterReport:
    """Check again, then commit everything or nothing. `report.committed` tells which happened."""
    report = RosterReport()
    rows = _validated_rows(data, filename, report)
    if not report.ok:
        return report
    with transaction.atomic():
        _apply(rows, report, school=school, actor=actor, request=request, write=True)
        if not report.ok:  # found while writing (e.g. a concurrent change): undo everything
            transaction.set_rollback(True)
            return report
        audit_record(
            actor=actor,
            action="roster.import",
            object_repr=filename,
            after={key: value for key, value in vars(report.summary).items()},
            request=request,
        )
        report.committed = True
    return report


def _validated_rows(data: bytes, filename: str, report: RosterReport) -> list[StudentRow]:
    table = read_table(data, filename, report)
    if table is None:
        return []
    columns = _map_headers(table.rows[0][1], table.rows[0][0], report)
    if columns is None:
        return []
    rows = _check_rows(table, columns, report)
    _check_against_school(rows, report)
    report.problems.sort(key=lambda problem: problem.line)  # stable: columns stay in order within a line
    return rows


def _class_key(name: str) -> str:
    return _header_key(name).replace(" ", "").upper()


def _check_against_school(rows: list[StudentRow], report: RosterReport) -> None:
    classes = {_class_key(c.name): c for c in SchoolClass.objects.filter(year__is_current=True)}
    students = {
        s.student_code: s for s in Student.objects.filter(student_code__in=[r.student_code for r in rows])
    }
    ids = dict(
        Student.objects.filter(national_id__in=[r.national_id for r in rows if r.national_id]).values_list(
            "national_id", "student_code"
        )
    )
    for row in rows:
        school_class = classes.get(_class_key(row.class_name))
        if school_class is None:
            report.problem(
                row.line,
                HEADERS["class_name"],
                row.class_name,
                gettext("Lớp “%(name)s” không có trong năm học hiện tại.") % {"name": row.class_name},
            )
        else:
            row.class_name = school_class.name
        owner = ids.get(row.national_id) if row.national_id else None
        if owner is not None and owner != row.student_code:
            report.problem(
                row.line,
                HEADERS["national_id"],
                row.national_id,
                gettext("Số định danh này đã thuộc học sinh mã %(code)s.") % {"code": owner},
            )
        student = students.get(row.student_code)
        if student is not None and student.status != StudentStatus.STUDYING:
            report.problem(
                row.line,
                HEADERS["student_code"],
                row.student_code,
                gettext("Học sinh này có tình trạng “%(status)s”; không nhập lại bằng tệp.")
                % {"status": student.get_status_display()},
            )


def _apply(rows: list[StudentRow], report: RosterReport, *, school, actor, request, write: bool) -> None:
    """Count (and with write=True make) the changes. Dry run and commit share this one code path, so
    the preview's numbers are the commit's."""
    from students.selectors import guardian_cache_key

    summary = report.summary
    today = timezone.localdate()
    year = SchoolYear.objects.get(is_current=True)
    classes = {c.name: c for c in SchoolClass.objects.filter(year=year)}

    # Guardians, their users and affiliations, once per phone.
    wanted: dict[str, GuardianRow] = {}
    for row in rows:
        for guardian in row.guardians:
            first = wanted.setdefault(guardian.phone, guardian)
            if not first.email and guardian.email:
                first.email = guardian.email
    guardians = {g.phone: g for g in Guardian.objects.filter(phone__in=wanted)}
    users = {u.phone: u for u in User.objects.filter(phone__in=wanted)}
    missing = [phone for phone in wanted if phone not in users]
    summary.users_created = len(missing)
    if write:
        users.update(_users_create(missing, wanted, actor=actor, request=request))
        _affiliations_add([users[phone] for phone in wanted], school)
    new_guardians = []
    for phone, spec in wanted.items():
        user = users.get(phone)
        guardian = guardians.get(phone)
        if guardian is None:
            summary.guardians_created += 1
            if write:
                new_guardians.append(
                    Guardian(full_name=spec.full_name, phone=phone, email=spec.email, user=user)
                )
            continue
        changed = []
        if guardian.full_name != spec.full_name:
            guardian.full_name = spec.full_name
            changed.append("full_name")
        if spec.email and guardian.email != spec.email:
            guardian.email = spec.email
            changed.append("email")
        if user is None or guardian.user_id != user.pk:
            guardian.user = user
            changed.append("user")
        if changed:
            summary.guardians_updated += 1
            if write:
                guardian.save(update_fields=changed)
        else:
            summary.guardians_unchanged += 1
    if write and new_guardians:
        for guardian in Guardian.objects.bulk_create(new_guardians):
            guardians[guardian.phone] = guardian
            forget_now_and_on_commit(guardian_cache_key(_schema(), guardian.user_id))

    # Students.
    students = {
        s.student_code: s for s in Student.objects.filter(student_code__in=[r.student_code for r in rows])
    }
    new_students = []
    for row in rows:
        student = students.get(row.student_code)
        if student is None:
            summary.students_created += 1
            if write:
                student = Student(
                    student_code=row.student_code,
                    full_name=nfc(row.full_name),
                    full_name_folded=fold(row.full_name),
                    date_of_birth=row.date_of_birth,
                    gender=row.gender,
                    national_id=row.national_id,
                )
                new_students.append(student)
            continue
        changed = []
        for name in ("full_name", "date_of_birth", "gender", "national_id"):
            new = getattr(row, name)
            if (new or name != "national_id") and getattr(student, name) != new:
                setattr(student, name, new)
                changed.append(name)
        if changed:
            summary.students_updated += 1
            if write:
                student.save(update_fields=changed + (["full_name_folded"] if "full_name" in changed else []))
        else:
            summary.students_unchanged += 1
    if write and new_students:
        for student in Student.objects.bulk_create(new_students):
            students[student.student_code] = student

    # Enrolments in the current year.
    known = [s.pk for s in students.values() if s.pk]
    enrolments: dict[int, list[Enrolment]] = {}
    for enrolment in Enrolment.objects.filter(student__in=known, school_class__year=year):
        enrolments.setdefault(enrolment.student_id, []).append(enrolment)
    new_enrolments = []
    for row in rows:
        student = students.get(row.student_code)
        school_class = classes[row.class_name]
        current = enrolments.get(student.pk, []) if student and student.pk else []
        target = next((e for e in current if e.school_class_id == school_class.pk), None)
        others_open = [e for e in current if e is not target and e.ends_on is None]
        if target is not None and target.ends_on is None and not others_open:
            continue
        if not current:
            summary.enrolments_created += 1
        else:
            summary.enrolments_moved += 1
        if not write:
            continue
        remaining = [e for e in current if e is not target]
        for enrolment in others_open:
            if enrolment.starts_on < today:
                # The same rule as services.enrolment_move: the old class ends yesterday, so no day
                # counts in two classes.
                enrolment.ends_on = today - dt.timedelta(days=1)
                enrolment.save(update_fields=["ends_on"])
            else:  # never began, or began today: it simply goes
                enrolment.delete()
                remaining.remove(enrolment)
        if target is not None:
            target.ends_on = None
            target.save(update_fields=["ends_on"])
        else:
            starts_on = max(today, year.starts_on) if remaining else year.starts_on
            new_enrolments.append(Enrolment(student=student, school_class=school_class, starts_on=starts_on))
    if write and new_enrolments:
        Enrolment.objects.bulk_create(new_enrolments)

    # Guardian links: the first guardian is the primary contact; both receive notifications.
    links: dict[tuple[int, int], StudentGuardian] = {}
    for link in StudentGuardian.objects.filter(student__in=known):
        links[(link.student_id, link.guardian_id)] = link
    new_links = []
    for row in rows:
        student = students.get(row.student_code)
        for index, spec in enumerate(row.guardians):
            guardian = guardians.get(spec.phone)
            primary = index == 0
            link = links.get((student.pk, guardian.pk)) if student and student.pk and guardian else None
            if link is None:
                summary.links_created += 1
                if primary and student is not None and student.pk:
                    _unset_primary(links, student, None, summary, write)
                if write:
                    new_links.append(
                        StudentGuardian(
                            student=student,
                            guardian=guardian,
                            relationship=spec.relationship,
                            is_primary_contact=primary,
                            receives_notifications=True,
                        )
                    )
                continue
            if link.relationship == spec.relationship and link.is_primary_contact == primary:
                continue
            summary.links_updated += 1
            if primary:
                _unset_primary(links, student, link, summary, write)
            link.relationship = spec.relationship
            link.is_primary_contact = primary
            if write:
                link.save(update_fields=["relationship", "is_primary_contact"])
    if write and new_links:
        StudentGuardian.objects.bulk_create(new_links)


def _users_create(phones: list[str], wanted: dict, *, actor, request) -> dict[str, User]:
    """What accounts.services.user_get_or_create does for one new person, in bulk: a user without a
    usable password (the guardian logs in with a one-time code) and a `user.create` audit event."""
    if not phones:
        return {}
    new = []
    for phone in phones:
        user = User(phone=phone, full_name=wanted[phone].full_name)
        user.set_unusable_password()
        new.append(user)
    created = User.objects.bulk_create(new, batch_size=1000)
    actor = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    ip = client_ip(request)
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


def _affiliations_add(users: list[User], school) -> None:
    """tenants.services.affiliation_add(is_guardian=True) for many users: two or three queries."""
    existing = {a.user_id: a for a in SchoolAffiliation.objects.filter(school=school, user__in=users)}
    SchoolAffiliation.objects.bulk_create(
        [SchoolAffiliation(user=user, school=school, is_guardian=True) for user in users
         if user.pk not in existing],
        batch_size=1000,
    )  # fmt: skip
    SchoolAffiliation.objects.filter(pk__in=[a.pk for a in existing.values() if not a.is_guardian]).update(
        is_guardian=True
    )


def _unset_primary(links: dict, student: Student, keep, summary: Summary, write: bool) -> None:
    """Another guardian becomes the primary contact; changed in memory in a dry run too, so that
    the preview counts each link once, as the commit does."""
    for (student_id, _guardian_id), link in links.items():
        if student_id == student.pk and link is not keep and link.is_primary_contact:
            link.is_primary_contact = False
            summary.links_updated += 1
            if write:
                link.save(update_fields=["is_primary_contact"])


def _schema() -> str:
    from django.db import connection

    return connection.schema_name


# --- the template ------------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The empty template: Vietnamese headers, one example row, text-formatted code/ID/phone columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Học sinh"
    sheet.append([header for _key, header, _required in STUDENT_COLUMNS])
    sheet.append(EXAMPLE_ROW)
    for index, (key, _header, required) in enumerate(STUDENT_COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=required)
        sheet.column_dimensions[cell.column_letter].width = 22
        if key in ("student_code", "national_id", "date_of_birth") or key.endswith("_phone"):
            for row in range(2, 2002):
                sheet.cell(row=row, column=index).number_format = "@"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
