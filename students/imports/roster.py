"""Roster import: students with their guardians, from the school's .xlsx or UTF-8 .csv template.

Three steps, each usable alone:
- `read_table(data, filename)` (students.imports.flow): bytes → header + rows of cells, or file-level
  problems (size, empty, not a spreadsheet, not UTF-8). No Django database access.
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
  the old enrolment yesterday (as students.roster.services.enrolment_move does). Guardian links are
  created or updated, never removed by an import.
- Every guardian gets a platform user (no password: they log in with a one-time code) and a guardian
  affiliation with the school, so the parent home finds them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from schoolbook.caching import forget_now_and_on_commit
from schoolbook.text import fold, nfc
from students.imports.common import (
    ClassFinder,
    SchoolReport,
    affiliations_add,
    new_classes_create,
    users_create,
)
from students.imports.flow import (
    Cell,
    Columns,
    Counts,
    Importer,
    Row,
    Table,
    data_rows,
    header_key,
    text_of,
)
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
from students.sector_ids import EXCEL_DIGITS, INVALID, sector_id_normalise, sector_id_valid

MIN_AGE, MAX_AGE = 3, 25

# (key, header in the template, required header)
STUDENT_COLUMNS: list[tuple[str, str, bool]] = [
    ("student_code", "Mã học sinh", True),
    ("full_name", "Họ và tên", True),
    ("date_of_birth", "Ngày sinh", True),
    ("gender", "Giới tính", True),
    ("class_name", "Lớp", True),
    ("national_id", "Số định danh cá nhân", False),
    ("sector_id", "Mã định danh Bộ GD&ĐT", False),
    ("g1_name", "Họ tên phụ huynh 1", True),
    ("g1_relationship", "Quan hệ 1", True),
    ("g1_phone", "SĐT phụ huynh 1", True),
    ("g1_email", "Email phụ huynh 1", False),
    ("g2_name", "Họ tên phụ huynh 2", False),
    ("g2_relationship", "Quan hệ 2", False),
    ("g2_phone", "SĐT phụ huynh 2", False),
    ("g2_email", "Email phụ huynh 2", False),
]
EXAMPLE_ROW = [
    "HS2025001",
    "Nguyễn Văn An",
    "05/09/2014",
    "Nam",
    "6A1",
    "001214012345",
    "",
    "Nguyễn Văn Bình",
    "Bố",
    "0912 345 678",
    "binh@example.com",
    "Trần Thị Cúc",
    "Mẹ",
    "0987 654 321",
    "",
]


_ALIASES = {
    "ma hs": "student_code",
    "ho ten": "full_name",
    "ho va ten hoc sinh": "full_name",
    "so dinh danh": "national_id",
    "ma dinh danh": "sector_id",
    "ma dinh danh bo gd dt": "sector_id",
    "ma dinh danh bo gddt": "sector_id",
    "so dien thoai phu huynh 1": "g1_phone",
    "so dien thoai phu huynh 2": "g2_phone",
}
COLUMNS = Columns(STUDENT_COLUMNS, _ALIASES)
HEADERS = COLUMNS.headers

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
class Summary(Counts):
    rows: int = 0
    classes_created: int = 0
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


@dataclass
class RosterReport(SchoolReport):
    summary: Summary = field(default_factory=Summary)


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
    sector_id: str
    guardians: list[GuardianRow]


def cell_date(cell: Cell, epoch) -> dt.date | None:
    """None if it is not a date at all; raises ValueError for an impossible one (31/02/2015)."""
    value = cell.value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value, epoch)
    text = text_of(value)
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
    seen_sector_ids: dict[str, int] = {}
    seen_phones: dict[str, tuple[str, int]] = {}  # phone → (folded name, first line)
    for row in data_rows(table, columns, HEADERS, report):
        line, cell, value, bad = row.line, row.cell, row.value, row.bad

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
                born = cell_date(cell("date_of_birth"), table.epoch)
            except (ValueError, OverflowError):
                bad("date_of_birth", gettext("Ngày không tồn tại."))
            else:
                if born is None:
                    bad("date_of_birth", gettext("Ngày sinh phải có dạng dd/mm/yyyy (ví dụ 05/09/2014)."))
                elif not (MIN_AGE <= (today - born).days / 365.25 <= MAX_AGE):
                    bad("date_of_birth", gettext("Ngày sinh không hợp lý cho một học sinh."))
                    born = None

        gender = _GENDERS.get(header_key(value("gender")))
        if gender is None:
            bad("gender", gettext("Giới tính phải là Nam hoặc Nữ."))

        class_name = value("class_name")
        if not class_name:
            bad("class_name", gettext("Thiếu lớp."))

        national_id = row_national_id(row, seen_ids)
        sector_id = row_sector_id(row, seen_sector_ids)

        guardians: list[GuardianRow] = []
        for number in ("1", "2"):
            guardian = _check_guardian(number, row)
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

        if row.ok:
            rows.append(
                StudentRow(line, code, full_name, born, gender, class_name, national_id, sector_id, guardians)
            )
    return rows


def row_national_id(row, seen: dict[str, int]) -> str:
    """The row's personal identification number ("" when empty), its problem reported on the row."""
    national_id = row.value("national_id").replace(" ", "")
    if not national_id:
        return ""
    if isinstance(row.cell("national_id").value, int | float) and national_id.isdigit():
        national_id = national_id.zfill(12)  # Excel drops the leading zeros of a number
    if not re.fullmatch(r"\d{12}", national_id):
        row.bad("national_id", gettext("Số định danh cá nhân gồm 12 chữ số."))
    elif national_id in seen:
        row.bad("national_id", gettext("Trùng số định danh với dòng %(line)d.") % {"line": seen[national_id]})
    else:
        seen[national_id] = row.line
    return national_id


def row_sector_id(row, seen: dict[str, int]) -> str:
    """The row's sector identifier ("" when empty), its problem reported on the row."""
    sector_id = sector_id_normalise(row.value("sector_id"))
    if not sector_id:
        return ""
    raw = row.cell("sector_id").value
    if isinstance(raw, int | float) and not isinstance(raw, bool) and len(sector_id) > EXCEL_DIGITS:
        # Excel stored it as a number and kept 15 digits of it: the rest is lost, not just the format.
        row.bad(
            "sector_id",
            gettext("Ô này là số nên Excel đã làm tròn mã; hãy định dạng cột là Văn bản rồi nhập lại mã."),
        )
    elif not sector_id_valid(sector_id):
        row.bad("sector_id", gettext(INVALID))
    elif sector_id in seen:
        row.bad("sector_id", gettext("Trùng mã định danh với dòng %(line)d.") % {"line": seen[sector_id]})
    else:
        seen[sector_id] = row.line
    return sector_id


def _check_guardian(number: str, row: Row) -> GuardianRow | None:
    value, bad = row.value, row.bad
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
    relationship = _RELATIONSHIPS.get(header_key(rel))
    if relationship is None:
        bad(rel_key, gettext("Quan hệ phải là Bố, Mẹ, Ông, Bà, Anh, Chị hoặc Khác."))
        ok = False
    phone = row.phone(phone_key, gettext("Thiếu số điện thoại phụ huynh."))
    if phone is None:
        ok = False
    if email:
        try:
            validate_email(email)
        except ValidationError:
            bad(email_key, gettext("Email không hợp lệ."))
            ok = False
    if not ok:
        return None
    return GuardianRow(HEADERS[phone_key], name, phone, email, relationship)


# --- against the school's data: check, count, and (when asked) write --------------------------------------


def roster_check(data: bytes, filename: str) -> RosterReport:
    """Everything but the writes: the report with its problems, notices and the preview counts."""
    return STUDENTS.check(data, filename)


def roster_import(*, actor, school, data: bytes, filename: str) -> RosterReport:
    """Check again, then commit everything or nothing. `report.committed` tells which happened."""
    return STUDENTS.commit(actor=actor, school=school, data=data, filename=filename)


def _check_against_school(rows: list[StudentRow], report: RosterReport) -> None:
    classes = ClassFinder(report)
    students = {
        s.student_code: s for s in Student.objects.filter(student_code__in=[r.student_code for r in rows])
    }
    ids = dict(
        Student.objects.filter(national_id__in=[r.national_id for r in rows if r.national_id]).values_list(
            "national_id", "student_code"
        )
    )
    sector_owners = dict(
        Student.objects.filter(sector_id__in=[r.sector_id for r in rows if r.sector_id]).values_list(
            "sector_id", "student_code"
        )
    )
    for row in rows:
        school_class = classes.find(row.class_name, row.line, HEADERS["class_name"])
        if school_class is not None:
            row.class_name = school_class.name
        owner = ids.get(row.national_id) if row.national_id else None
        if owner is not None and owner != row.student_code:
            report.problem(
                row.line,
                HEADERS["national_id"],
                row.national_id,
                gettext("Số định danh này đã thuộc học sinh mã %(code)s.") % {"code": owner},
            )
        owner = sector_owners.get(row.sector_id) if row.sector_id else None
        if owner is not None and owner != row.student_code:
            report.problem(
                row.line,
                HEADERS["sector_id"],
                row.sector_id,
                gettext("Mã định danh này đã thuộc học sinh mã %(code)s.") % {"code": owner},
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


def _apply(rows: list[StudentRow], report: RosterReport, *, school, actor, write: bool) -> None:
    """Count (and with write=True make) the changes. Dry run and commit share this one code path, so
    the preview's numbers are the commit's."""
    from students.selectors import guardian_cache_key

    summary = report.summary
    today = timezone.localdate()
    year = SchoolYear.objects.get(is_current=True)
    summary.classes_created = new_classes_create(report, actor=actor, write=write)
    classes = {c.name: c for c in SchoolClass.objects.filter(year=year, archived_at__isnull=True)}
    classes.update((c.name, c) for c in report.new_classes.values())

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
        names = {phone: wanted[phone].full_name for phone in missing}
        users.update(users_create(names, actor=actor))
        affiliations_add([users[phone] for phone in wanted], school, flag="is_guardian")
    new_guardians = []
    for phone, spec in wanted.items():
        user = users.get(phone)
        guardian = guardians.get(phone)
        if guardian is None:
            summary.guardians_created += 1
            if write:
                new_guardians.append(
                    Guardian(
                        full_name=spec.full_name, phone=phone, email=spec.email, user=user
                    ).set_sort_key()
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
                    sector_id=row.sector_id,
                )
                new_students.append(student.set_sort_key())
            continue
        changed = []
        for name in ("full_name", "date_of_birth", "gender", "national_id", "sector_id"):
            new = getattr(row, name)
            # An empty identifier cell keeps the one on file: a file without the column clears nothing.
            if (new or name not in ("national_id", "sector_id")) and getattr(student, name) != new:
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
                # The same rule as students.roster.services.enrolment_move: the old class ends yesterday,
                # so no day counts in two classes.
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
    return STUDENTS.template_workbook(
        EXAMPLE_ROW,
        lambda key: (
            key in ("student_code", "national_id", "sector_id", "date_of_birth") or key.endswith("_phone")
        ),
    )


STUDENTS = Importer(
    columns=COLUMNS,
    sheet="Học sinh",
    action="roster.import",
    report_class=RosterReport,
    check_rows=_check_rows,
    check_against_school=_check_against_school,
    apply=_apply,
)
