"""A whole school's timetable from one .xlsx (or UTF-8 .csv) file, through the roster's upload → preview →
confirm flow (students.imports.flow): one row per lesson.

| Lớp | Thứ | Buổi | Tiết | Môn | Giáo viên | Phòng |
|---|---|---|---|---|---|---|
| 6A1 | 2 | Sáng | 1 | Toán | 0912 345 678 | P.201 |

Thứ is 2–7 ("Thứ 2", "T2", "Thứ Hai" too); Buổi is Sáng or Chiều; Tiết counts from 1 in each session, up to
the school's number; Môn is the subject's name as in the school's catalogue; Giáo viên (optional) is the
teacher's phone number or full name, and empty means the class's teaching assignment for the subject; Phòng
is optional. Every class named in the file gets a new version from the date chosen on the upload page, made
of exactly its rows (a period without a row is free); classes not in the file keep theirs. The file is
checked whole (timetable.services.timetables_check) and written all or nothing, with the people concerned
told once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models.functions import Upper
from django.utils.translation import gettext

from schoolbook.phones import PhoneError, normalize_phone
from schoolbook.text import fold
from students.class_names import clean_name
from students.imports.flow import Columns, Counts, Importer, Report, data_rows
from students.models import SchoolClass, StaffMember, Subject
from timetable.models import TimetableChange
from timetable.rules import MAX_PERIODS, session_of, weekday_of
from timetable.selectors import slot_text
from timetable.services import (
    Cell,
    Grid,
    TimetableError,
    assigned_teachers,
    grade_subjects,
    timetables_apply,
    timetables_check,
    timetables_plan,
)

KIND = "timetable"
SHEET = "Thời khoá biểu"

COLUMNS = Columns(
    [
        ("class", "Lớp", True),
        ("weekday", "Thứ", True),
        ("session", "Buổi", True),
        ("period", "Tiết", True),
        ("subject", "Môn", True),
        ("teacher", "Giáo viên", False),
        ("room", "Phòng", False),
    ],
    aliases={"ten lop": "class", "mon hoc": "subject", "ngay": "weekday", "phong hoc": "room"},
)


@dataclass
class TimetableCounts(Counts):
    rows: int = 0
    classes_changed: int = 0
    classes_unchanged: int = 0
    lessons: int = 0
    people: int = 0


class TimetableReport(Report):
    """The flow's report, with the plan the confirmation shows (who is told, the estimate, the token)."""

    def __init__(self):
        super().__init__(summary=TimetableCounts())
        self.plan = None


@dataclass
class Parsed:
    row: object  # flow.Row
    class_name: str
    slot: tuple
    subject: str
    teacher: str
    room: str


def _check_rows(table, columns, report) -> list[Parsed]:
    parsed = []
    for row in data_rows(table, columns, COLUMNS.headers, report):
        class_name = clean_name(row.value("class"))
        weekday = weekday_of(fold(row.value("weekday")))
        session = session_of(fold(row.value("session")))
        period = row.value("period")
        if not class_name:
            row.bad("class", gettext("Thiếu tên lớp."))
        if weekday is None:
            row.bad("weekday", gettext("Thứ phải từ 2 đến 7 (ví dụ 2 hoặc Thứ Hai)."))
        if session is None:
            row.bad("session", gettext("Buổi phải là Sáng hoặc Chiều."))
        if not (period.isdigit() and 1 <= int(period) <= MAX_PERIODS):
            row.bad("period", gettext("Tiết phải là số từ 1 đến %(max)s.") % {"max": MAX_PERIODS})
        if not row.value("subject"):
            row.bad("subject", gettext("Thiếu môn học."))
        if len(row.value("room")) > 30:
            row.bad("room", gettext("Tên phòng dài quá 30 ký tự."))
        if row.ok:
            parsed.append(
                Parsed(row, class_name, (weekday, session, int(period)), row.value("subject"),
                       row.value("teacher"), row.value("room"))
            )  # fmt: skip
    return parsed


class _School:
    """What the rows are checked against, read once: the current year's classes, the subjects per level,
    the active staff by phone and by folded name, the teaching assignments."""

    def __init__(self, rows: list[Parsed]):
        names = {row.class_name for row in rows}
        self.classes = {
            clean_name(c.name): c
            for c in SchoolClass.objects.filter(year__is_current=True, archived_at__isnull=True)
            .annotate(upper=Upper("name"))
            .filter(upper__in=names)
            .select_related("grade", "year")
        }
        self.subjects: dict[tuple[str, str], Subject] = {}
        for subject in Subject.objects.filter(is_active=True):
            self.subjects[(subject.level, fold(subject.name))] = subject
            self.subjects.setdefault((subject.level, subject.code), subject)
        self.taken = grade_subjects({c.grade_id for c in self.classes.values()})
        staff = list(StaffMember.objects.filter(is_active=True).select_related("user"))
        self.by_phone = {member.user.phone: member for member in staff}
        self.by_name: dict[str, list[StaffMember]] = {}
        for member in staff:
            self.by_name.setdefault(fold(member.full_name), []).append(member)
        self.assigned = assigned_teachers(self.classes.values())

    def teacher(self, parsed: Parsed) -> tuple[StaffMember | None, str]:
        """The teacher the row names, or None with the reason (empty reason: none named)."""
        text = parsed.teacher
        if not text:
            return None, ""
        if any(ch.isdigit() for ch in text):
            try:
                member = self.by_phone.get(normalize_phone(text).e164)
            except PhoneError:
                member = None
            return member, "" if member else gettext("Không có cán bộ nào với số điện thoại này.")
        found = self.by_name.get(fold(text), [])
        if len(found) == 1:
            return found[0], ""
        if found:
            return None, gettext("Có %(count)d cán bộ trùng tên: hãy ghi số điện thoại.") % {
                "count": len(found)
            }
        return None, gettext("Không có cán bộ nào tên này.")


def _grids(rows: list[Parsed], report: Report) -> list[Grid]:
    """The rows as one grid per class, each row's problems with the school's data reported on its line."""
    school = _School(rows)
    grids: dict[int, Grid] = {}
    for parsed in rows:
        row = parsed.row
        mark = len(report.problems)  # row.ok would count other rows' problems found since it was read
        school_class = school.classes.get(parsed.class_name)
        if school_class is None:
            row.bad("class", gettext("Không có lớp này trong năm học hiện tại."))
            continue
        subject = school.subjects.get((school_class.grade.level, fold(parsed.subject)))
        if subject is None or subject.pk not in school.taken[school_class.grade_id]:
            row.bad("subject", gettext("Khối %(grade)s không học môn này (xem Danh mục môn học).")
                    % {"grade": school_class.grade.number})  # fmt: skip
        teacher, reason = school.teacher(parsed)
        if reason:
            row.bad("teacher", reason)
        grid = grids.setdefault(school_class.pk, Grid(school_class, {}))
        if parsed.slot in grid.lines:
            row.bad("period", gettext("Lớp %(name)s đã có tiết này ở dòng %(line)d.")
                    % {"name": school_class.name, "line": grid.lines[parsed.slot]})  # fmt: skip
            continue
        grid.lines[parsed.slot] = row.line
        if len(report.problems) == mark:
            teacher = teacher or school.assigned.get((school_class.pk, subject.pk))
            grid.cells[parsed.slot] = Cell(subject, teacher, parsed.room)
    return list(grids.values())


def _report_problems(problems, report: Report) -> None:
    for problem in problems:
        if problem.slot is None:
            report.problem(problem.line, COLUMNS.headers["class"], problem.school_class.name, problem.message)
        else:
            report.problem(problem.line, COLUMNS.headers["period"], slot_text(problem.slot), problem.message)


def timetable_importer(*, school, starts_on: datetime.date, token: str | None = None) -> Importer:
    """The import of a whole school's timetable from `starts_on` into `school` (the flow's dry run passes no
    school: the messages planned need its name); `token`: the plan the person confirmed (a commit whose
    plan has changed since writes nothing and says so)."""
    for_school = school
    grids: list[Grid] = []

    def check_against_school(rows, report):
        grids[:] = _grids(rows, report)
        _report_problems(timetables_check(grids, starts_on), report)  # the good rows' clashes too

    def apply(rows, report, *, school, actor, write):
        summary = report.summary
        summary.lessons = sum(len(grid.cells) for grid in grids)
        if write:
            try:
                change, plan = timetables_apply(
                    actor=actor, school=for_school, grids=grids, starts_on=starts_on,
                    source=TimetableChange.Source.IMPORT, token=token,
                )  # fmt: skip
            except TimetableError as error:
                _report_problems(error.problems, report)
                return
            if change is None and plan.changed:
                report.problem(0, "", "", gettext("Thời khoá biểu đã thay đổi từ lúc bạn xem: hãy xem lại."))
        else:
            plan = timetables_plan(school=for_school, grids=grids, starts_on=starts_on)
        report.plan = plan
        summary.classes_changed, summary.classes_unchanged = len(plan.changed), len(plan.unchanged)
        summary.people = plan.people

    return Importer(
        columns=COLUMNS,
        sheet=SHEET,
        action="timetable.import",
        report_class=TimetableReport,
        check_rows=_check_rows,
        check_against_school=check_against_school,
        apply=apply,
    )
