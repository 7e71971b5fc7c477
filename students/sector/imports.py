"""The sector identifiers (mã định danh) imported back from the sector database's own student list.

The school downloads its student list from the sector database (.xlsx; a CSV saved from it also reads) and
uploads it unchanged. The header line is found among the first lines (the province's files have title lines
above it) by its "Họ tên" and identifier columns; the sector's other columns are ignored. Each line is
matched to one of the school's students:
- by the personal identification number ("Số định danh cá nhân") when the line has one that the school
  also holds (a name or birth date that differs is then a notice, not a refusal);
- else by name and date of birth (folded: case, accents and spaces do not count), narrowed by the class
  ("Mã lớp" or "Lớp học") when two students share both.
A line that matches no student is a notice (the sector's list may hold students the school has not entered)
and changes nothing. Refused, with the line and the reason: an identifier badly formed or repeated in the
file, two lines for one student, a student who already has another identifier (an identifier never
changes: the student's form corrects a typing mistake), an identifier already another student's, a name
and birth date shared by several students with nothing to tell them apart. As every import, nothing is
written unless the whole file is right, and then all of it in one statement (students.imports.flow)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext

from schoolbook.text import fold
from students.imports.flow import (
    Columns,
    Counts,
    Importer,
    Notice,
    Report,
    Table,
    data_rows,
    header_key,
    text_of,
)
from students.imports.roster import cell_date, row_national_id, row_sector_id
from students.models import Student
from students.selectors import with_current_class

ACTION = "sector.ids_import"
HEADER_SEARCH_LINES = 12

COLUMNS = Columns(
    [
        ("sector_id", "Mã định danh Bộ GD&ĐT", True),
        ("full_name", "Họ tên", True),
        ("date_of_birth", "Ngày sinh", True),
        ("class_name", "Mã lớp", False),
        ("national_id", "Số định danh cá nhân", False),
    ],
    aliases={
        header_key(alias): key
        for key, aliases in {
            "sector_id": [
                "Mã học sinh", "Mã HS", "Mã định danh", "Mã định danh Bộ GDĐT",
                "Mã định danh Bộ GD&ĐT (trên CSDL ngành)",
            ],
            "full_name": ["Họ và tên", "Họ tên học sinh"],
            "class_name": ["Lớp học", "Lớp", "Tên lớp"],
            "national_id": ["Số định danh", "Số ĐDCN", "Số CCCD"],
        }.items()
        for alias in aliases
    },
    others_ignored=True,
)  # fmt: skip
HEADERS = COLUMNS.headers
_ID_KEYS = {folded for folded, key in COLUMNS.lookup.items() if key == "sector_id"}
_NAME_KEYS = {folded for folded, key in COLUMNS.lookup.items() if key == "full_name"}


@dataclass
class SectorRow:
    line: int
    sector_id: str
    full_name: str
    born: dt.date
    class_name: str
    national_id: str
    student_id: int | None = None  # the student matched, once checked against the school
    unchanged: bool = False


@dataclass
class SectorSummary(Counts):
    rows: int = 0
    ids_set: int = 0
    ids_unchanged: int = 0
    rows_unmatched: int = 0


@dataclass
class SectorReport(Report):
    summary: SectorSummary = field(default_factory=SectorSummary)


def header_line(table: Table) -> int:
    """Index of the first line, among the first few, that has a name and an identifier column; 0 if none
    (the missing columns are then reported against the first line)."""
    for index, (_line, cells) in enumerate(table.rows[:HEADER_SEARCH_LINES]):
        keys = {header_key(text_of(cell.value)) for cell in cells}
        if keys & _ID_KEYS and keys & _NAME_KEYS:
            return index
    return 0


def _check_rows(table: Table, columns: dict[str, int], report: SectorReport) -> list[SectorRow]:
    rows = []
    seen_sector_ids: dict[str, int] = {}
    seen_national_ids: dict[str, int] = {}
    for row in data_rows(table, columns, HEADERS, report):
        sector_id = row_sector_id(row, seen_sector_ids)
        if not sector_id and row.ok:
            row.bad("sector_id", gettext("Thiếu mã định danh."))
        full_name = row.value("full_name")
        if not full_name:
            row.bad("full_name", gettext("Thiếu họ và tên."))
        born = None
        try:
            born = cell_date(row.cell("date_of_birth"), table.epoch)
        except (ValueError, OverflowError):
            row.bad("date_of_birth", gettext("Ngày không tồn tại."))
        else:
            if born is None:
                row.bad("date_of_birth", gettext("Ngày sinh phải có dạng dd/mm/yyyy (ví dụ 05/09/2014)."))
        national_id = row_national_id(row, seen_national_ids)
        if row.ok:
            rows.append(SectorRow(row.line, sector_id, full_name, born, row.value("class_name"), national_id))
    return rows


def _check_against_school(rows: list[SectorRow], report: SectorReport) -> None:
    students = list(
        with_current_class(Student.objects.all()).only(
            "pk", "student_code", "full_name", "full_name_folded", "date_of_birth", "national_id", "sector_id"
        )
    )
    by_national_id = {s.national_id: s for s in students if s.national_id}
    by_sector_id = {s.sector_id: s for s in students if s.sector_id}
    by_name_and_birth = defaultdict(list)
    for student in students:
        by_name_and_birth[(student.full_name_folded, student.date_of_birth)].append(student)
    matched_lines: dict[int, int] = {}  # student pk → the line that matched it

    def problem(row: SectorRow, key: str, value: str, reason: str) -> None:
        report.problem(row.line, HEADERS[key], value, reason)

    for row in rows:
        student = by_national_id.get(row.national_id) if row.national_id else None
        if student is not None:
            if (fold(row.full_name), row.born) != (student.full_name_folded, student.date_of_birth):
                report.notices.append(_notice(row, student))
        else:
            candidates = by_name_and_birth.get((fold(row.full_name), row.born), [])
            if len(candidates) > 1 and row.class_name:
                candidates = [
                    s for s in candidates if (s.current_class_name or "").upper() == row.class_name.upper()
                ]
            if len(candidates) > 1:
                reason = gettext(
                    "Có %(count)d học sinh cùng họ tên và ngày sinh: "
                    "thêm cột Số định danh cá nhân để phân biệt."
                )
                problem(row, "full_name", row.full_name, reason % {"count": len(candidates)})
                continue
            if not candidates:
                report.notices.append(_notice(row, None))
                continue
            student = candidates[0]
        if student.pk in matched_lines:
            problem(row, "full_name", row.full_name, gettext(
                "Dòng này và dòng %(line)d cùng ứng với học sinh %(name)s."
            ) % {"line": matched_lines[student.pk], "name": student.full_name})  # fmt: skip
            continue
        matched_lines[student.pk] = row.line
        owner = by_sector_id.get(row.sector_id)
        if owner is not None and owner.pk != student.pk:
            problem(row, "sector_id", row.sector_id, gettext(
                "Mã định danh này đã thuộc học sinh %(name)s (mã %(code)s)."
            ) % {"name": owner.full_name, "code": owner.student_code})  # fmt: skip
        elif student.sector_id and student.sector_id != row.sector_id:
            reason = gettext(
                "Học sinh %(name)s (mã %(code)s) đã có mã định danh %(old)s. Mã định danh không thay đổi: "
                "nếu mã đã lưu bị gõ sai, hãy sửa ở hồ sơ học sinh rồi nhập lại."
            )
            named = {"name": student.full_name, "code": student.student_code, "old": student.sector_id}
            problem(row, "sector_id", row.sector_id, reason % named)
        else:
            row.student_id, row.unchanged = student.pk, student.sector_id == row.sector_id


def _notice(row: SectorRow, student: Student | None) -> Notice:
    if student is None:
        message = gettext(
            "Không tìm thấy học sinh có họ tên và ngày sinh này trong trường: dòng được bỏ qua."
        )
    else:
        message = gettext(
            "Ghép theo số định danh cá nhân với học sinh %(name)s (mã %(code)s, sinh %(born)s), "
            "dù họ tên hoặc ngày sinh khác."
        ) % {"name": student.full_name, "code": student.student_code, "born": text_of(student.date_of_birth)}
    return Notice(row.line, HEADERS["full_name"], row.full_name, message)


def _apply(rows: list[SectorRow], report: SectorReport, *, school, actor, write: bool) -> None:
    summary = report.summary
    changes = [row for row in rows if row.student_id is not None and not row.unchanged]
    summary.ids_set = len(changes)
    summary.ids_unchanged = sum(1 for row in rows if row.unchanged)
    summary.rows_unmatched = sum(1 for row in rows if row.student_id is None)
    if not write or not changes:
        return
    # One statement, and only where the student still has no identifier. An identifier set since the check
    # (the student's form, another import) makes the count short or breaks the uniqueness: the whole import
    # is then undone and the school uploads the file again, to see the new state.
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""UPDATE {Student._meta.db_table} AS s SET sector_id = v.sector_id
                    FROM unnest(%s::bigint[], %s::text[]) AS v(id, sector_id)
                    WHERE s.id = v.id AND s.sector_id = ''""",
                [[row.student_id for row in changes], [row.sector_id for row in changes]],
            )
            written = cursor.rowcount
    except IntegrityError:
        written = -1
    if written != len(changes):
        report.problem(0, "", "", gettext("Hồ sơ học sinh vừa thay đổi trong lúc nhập: hãy tải tệp lên lại."))


SECTOR_IDS = Importer(
    columns=COLUMNS,
    sheet="",
    action=ACTION,
    report_class=SectorReport,
    check_rows=_check_rows,
    check_against_school=_check_against_school,
    apply=_apply,
    header=header_line,
)
