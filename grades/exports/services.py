"""A class's gradebook for a term as the Excel workbook schools exchange: the export, then the import back
with the roster import's all-or-nothing report. (The printed term report is in grades/exports/selectors.py.)

The workbook: one sheet per secondary subject of the class (the sheet is named after the subject), the
header on line 1 (STT, Mã học sinh, Họ và tên, TX1…TXn, GK, CK, ĐTBmhk) and one line per student enrolled
today, by name. Scores are written as numbers with one decimal ("0.0" format), so that Excel in the
Vietnamese locale shows 7,5 and a school may compute with them; on import a number, "7,5" and "7.5" are all
accepted (grades.rules.circular22.parse_score). Comment-only subjects hold Đ / CĐ as text. ĐTBmhk is
computed by the app and ignored on import. A hidden sheet "Thông tin" names the school, class, term and the
export time, with a signed token of the same, so that a file of another class or term is refused and a cell
changed in the app after the export is told apart from a cell the file changes.

Import rules (shown on the upload page):
- an empty cell never clears a score (as in the roster import); a cell equal to the app's value changes
  nothing, so re-importing the same file changes nothing;
- a cell that differs from the app is a change, unless the app's cell was saved after the export time: then
  it is a conflict (someone changed it meanwhile) and nothing is applied;
- a subject teacher imports their own subjects' sheets; a school admin or principal imports every sheet, on
  behalf of the teacher (the history names who imported); a sheet the importer may not write is a problem;
- every write goes through grades.entry.services.scores_save (the same checks, history and deadlines as the
  entry grid), all sheets in one transaction, with one "gradebook.import" audit event."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core import signing
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from grades.cells import GradeError, parse_rating, result_text, score_text
from grades.entry.services import scores_save
from grades.exports.selectors import cells_by_student, secondary_assignments
from grades.locks import entry_lock
from grades.models import FINAL_COLUMNS, MAX_REGULAR, Score, regular_columns
from grades.permissions import may_write
from grades.results.selectors import class_results
from grades.rules.circular22 import ScoreError, parse_score
from schoolbook.audit.services import audit_record
from schoolbook.spreadsheets import sheet_append
from students.imports.flow import (
    Columns,
    Report,
    Table,
    data_rows,
    header_key,
    read_tables,
    table_check,
    text_of,
)
from students.models import Assessment, SchoolClass, StaffMember, Student, TeachingAssignment, Term

META_SHEET = "Thông tin"


TOKEN_LABEL = "Mã xác thực"


AVERAGE = "ĐTBmhk"


SIGNING_SALT = "grades.excel.gradebook"  # the old module's name, kept: files exported before still verify


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def sheet_titles(assignments: list[TeachingAssignment]) -> dict[str, TeachingAssignment]:
    """A sheet name per subject: Excel allows 31 characters and none of []:*?/\\; names cut to the same
    31 characters get a number, so each is unique (compared as Excel does, ignoring case)."""
    titles: dict[str, TeachingAssignment] = {}
    taken: set[str] = set()
    for assignment in assignments:
        base = _NOT_IN_SHEET_NAMES.sub("-", assignment.subject.name).strip("' ") or assignment.subject.code
        title, n = base[:31], 1
        while title.casefold() in taken or header_key(title) == header_key(META_SHEET):
            n += 1
            title = f"{base[: 31 - len(str(n)) - 1]} {n}"
        taken.add(title.casefold())
        titles[title] = assignment
    return titles


def _columns(regular_count: int) -> Columns:
    """The header of a subject sheet. Every TX up to the maximum is known, so that a TX beyond the plan is
    reported as such rather than ignored as an unknown column."""
    spec = [("index", "STT", False), ("student_code", "Mã học sinh", True), ("full_name", "Họ và tên", False)]
    spec += [(column, column, n <= regular_count) for n, column in enumerate(regular_columns(MAX_REGULAR), 1)]
    spec += [(column, column, True) for column in FINAL_COLUMNS] + [("average", AVERAGE, False)]
    return Columns(spec, {"ma hs": "student_code", "ho ten": "full_name", "dtb mhk": "average"})


def _token(school_class: SchoolClass, term: Term, now: dt.datetime) -> str:
    return signing.dumps(
        {
            "school": connection.schema_name,
            "class": school_class.pk,
            "term": term.pk,
            "class_name": school_class.name,
            "term_name": str(term.name),
            "at": now.isoformat(),
        },
        salt=SIGNING_SALT,
    )


def gradebook_workbook(
    *,
    actor,
    school,
    assignments: list[TeachingAssignment],
    school_class: SchoolClass,
    term: Term,
    now: dt.datetime | None = None,
) -> bytes:
    """The workbook of the given subjects (already filtered by exportable_assignments), audited as a data
    export. A constant number of queries, whatever the number of students and subjects."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    now = now or timezone.now()
    results = class_results(school_class, term)
    students = [row.student for row in results.rows]
    averages = {
        (row.student.pk, subject.subject_id): result
        for row in results.rows
        for subject, result in zip(results.subjects, row.results, strict=True)
    }
    plans = {subject.subject_id: subject.regular_count for subject in results.subjects}
    cells = cells_by_student(students, [a.subject_id for a in assignments], term)
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold, computed = Font(bold=True), PatternFill("solid", fgColor="EEEEEE")
    # The class's subject order, as on the import side, so that sheet names come out the same.
    assignments = sorted(assignments, key=lambda a: (a.subject.order, a.subject.name))
    for title, assignment in sheet_titles(assignments).items():
        regular_count = plans.get(assignment.subject_id)
        if regular_count is None:  # no assessment plan: nothing can be entered for the subject
            continue
        scored = assignment.subject.assessment == Assessment.SCORED
        score_columns = regular_columns(regular_count) + list(FINAL_COLUMNS)
        sheet = workbook.create_sheet(title)
        sheet_append(sheet, ["STT", "Mã học sinh", "Họ và tên", *score_columns, AVERAGE])
        for index, student in enumerate(students, start=1):
            row = cells.get((student.pk, assignment.subject_id), {})
            values = [_cell_value(row.get(column), scored) for column in score_columns]
            average = averages.get((student.pk, assignment.subject_id))
            average = average if isinstance(average, Decimal) else result_text(average)
            sheet_append(sheet, [index, student.student_code, student.full_name, *values, average or None])
        for cell in sheet[1]:
            cell.font = bold
        average_column = len(score_columns) + 4
        sheet.cell(row=1, column=average_column).comment = Comment(
            gettext("Điểm trung bình môn học kỳ do hệ thống tính; cột này không được nhập lại."), "Schoolbook"
        )
        for line in range(2, len(students) + 2):
            sheet.cell(row=line, column=2).number_format = "@"
            sheet.cell(row=line, column=average_column).fill = computed
            for column in range(4, average_column + 1):
                sheet.cell(row=line, column=column).number_format = "0.0"
        sheet.column_dimensions["B"].width, sheet.column_dimensions["C"].width = 16, 28
        sheet.freeze_panes = "D2"
    meta = workbook.create_sheet(META_SHEET)
    for pair in (
        (gettext("Thông tin"), gettext("Giá trị")),
        (gettext("Trường"), school.name),
        (gettext("Lớp"), school_class.name),
        (gettext("Học kỳ"), f"{term.name} {school_class.year.name}"),
        (gettext("Thời điểm xuất"), timezone.localtime(now).strftime("%d/%m/%Y %H:%M:%S")),
        (TOKEN_LABEL, _token(school_class, term, now)),
    ):
        sheet_append(meta, pair)
    meta.sheet_state = "hidden"  # kept out of the way; the import needs it
    audit_record(
        actor=actor,
        action="gradebook.export",
        obj=school_class,
        after={"term": term.pk, "subjects": [a.subject.name for a in assignments]},
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_value(score: Score | None, scored: bool):
    if score is None or score.is_empty:
        return None
    return score.value if scored else score_text(None, score.rating)


@dataclass
class SheetProblem:
    sheet: str  # "" for the whole file
    line: int  # 0: the whole sheet
    column: str
    value: str
    reason: str


@dataclass
class SheetSummary:
    sheet: str
    rows: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class GradebookReport:
    problems: list[SheetProblem] = field(default_factory=list)
    sheets: list[SheetSummary] = field(default_factory=list)
    exported_at: dt.datetime | None = None
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> int:
        return sum(sheet.changed for sheet in self.sheets)

    def problem(self, sheet: str, line: int, column: str, value, reason: str) -> None:
        self.problems.append(SheetProblem(sheet, line, column, text_of(value), reason))

    def take(self, sheet: str, report: Report) -> None:
        """The problems students.imports.flow reported for one sheet, under the sheet's name."""
        for problem in report.problems:
            self.problems.append(
                SheetProblem(sheet, problem.line, problem.column, problem.value, problem.reason)
            )


@dataclass
class _Context:
    """What every sheet is checked against, loaded once for the whole file."""

    school_class: SchoolClass
    exported_at: dt.datetime
    enrolled: dict[str, Student]  # student code → student enrolled in the class today
    known: set[str]  # student codes of the file that exist in the school
    existing: dict[tuple[int, int], dict[str, Score]]  # the app's cells now


@dataclass
class _Batch:
    """What scores_save will get for one sheet, and where each cell came from (for its problems)."""

    sheet: str
    assignment: TeachingAssignment
    cells: list[dict] = field(default_factory=list)
    where: dict[tuple[int, str], tuple[int, str]] = field(default_factory=dict)  # cell → (line, raw)


def _exported_at(tables, filename, school_class, term, report: GradebookReport) -> dt.datetime | None:
    """The export time from the hidden sheet's signed token; None (with a problem) when the file has none,
    it was altered, or it belongs to another school, class or term."""
    sub = Report()
    table = next((t for title, t in tables.items() if header_key(title) == header_key(META_SHEET)), None)
    table = table and table_check(table, filename, sub)
    if sub.problems:
        report.take("", sub)
        return None
    table = table or Table(rows=[])
    pairs = {
        header_key(text_of(cells[0].value)): text_of(cells[1].value)
        for _, cells in table.rows
        if len(cells) > 1
    }
    try:
        meta = signing.loads(pairs.get(header_key(TOKEN_LABEL), ""), salt=SIGNING_SALT)
    except signing.BadSignature:
        report.problem(
            "", 0, "", filename,
            gettext(
                "Tệp không phải sổ điểm xuất từ Schoolbook, hoặc trang “Thông tin” đã bị sửa: hãy xuất tệp "
                "Excel từ trang này rồi nhập điểm vào tệp đó."
            ),
        )  # fmt: skip
        return None
    if (meta["school"], meta["class"], meta["term"]) != (connection.schema_name, school_class.pk, term.pk):
        report.problem(
            "", 0, "", filename,
            gettext(
                "Tệp này là sổ điểm lớp %(file_class)s, %(file_term)s; không nhập được vào lớp %(cls)s, "
                "%(term)s."
            ) % {"file_class": meta["class_name"], "file_term": meta["term_name"], "cls": school_class.name,
                 "term": term.name},
        )  # fmt: skip
        return None
    return dt.datetime.fromisoformat(meta["at"])


def _check(*, staff, school_class, term, data, filename, now) -> tuple[GradebookReport, list[_Batch]]:
    report = GradebookReport()
    sub = Report()
    tables = read_tables(data, filename, sub)  # the whole workbook, opened and read once
    if tables is None:
        report.take("", sub)
        return report, []
    exported_at = _exported_at(tables, filename, school_class, term, report)
    if exported_at is None:
        return report, []
    report.exported_at = exported_at
    titles = {header_key(title): a for title, a in sheet_titles(secondary_assignments(school_class)).items()}
    results = class_results(school_class, term)
    enrolled = {row.student.student_code: row.student for row in results.rows}
    plans = {subject.subject_id: subject.regular_count for subject in results.subjects}
    sheets = []  # (name, assignment, table, column key → index)
    names = list(tables)
    for name in names:
        if header_key(name) == header_key(META_SHEET):
            continue
        assignment = titles.get(header_key(name))
        if assignment is None or plans.get(assignment.subject_id) is None:
            report.problem(
                name, 0, "", name,
                gettext("Lớp %(cls)s không có môn học nào ứng với trang này (tên trang phải là tên môn học).")
                % {"cls": school_class.name},
            )  # fmt: skip
            continue
        if not may_write(staff, assignment):
            report.problem(
                name, 0, "", name,
                gettext("Bạn không được nhập điểm môn %(subject)s: chỉ giáo viên dạy môn này ở lớp, Hiệu "
                        "trưởng hoặc quản trị trường.") % {"subject": assignment.subject.name},
            )  # fmt: skip
            continue
        refused, _reason = entry_lock(
            term=term, subject=assignment.subject, school_class=school_class, now=now
        )
        if refused:
            report.problem(
                name, 0, "", name,
                gettext("Đã quá hạn nhập điểm môn %(subject)s; cần Hiệu trưởng mở khóa.")
                % {"subject": assignment.subject.name},
            )  # fmt: skip
            continue
        sub = Report()
        table = table_check(tables[name], filename, sub)
        mapped = None
        if table is not None:
            header_line, header = table.rows[0]
            mapped = _columns(plans[assignment.subject_id]).map(header, header_line, sub)
        report.take(name, sub)
        if mapped is not None:
            sheets.append((name, assignment, table, mapped))
    codes = {
        text_of(cells[mapped["student_code"]].value)
        for _, _, table, mapped in sheets
        for _, cells in table.rows[1:]
        if mapped["student_code"] < len(cells)
    }
    known = set(Student.objects.filter(student_code__in=codes).values_list("student_code", flat=True))
    existing = cells_by_student(list(enrolled.values()), [a.subject_id for _, a, _, _ in sheets], term)
    context = _Context(school_class, exported_at, enrolled, known, existing)
    batches = []
    for name, assignment, table, mapped in sheets:
        batch = _Batch(name, assignment)
        summary = SheetSummary(name)
        report.sheets.append(summary)
        sub = Report(summary=summary)
        _check_sheet(sub, batch, table, mapped, plans[assignment.subject_id], context)
        report.take(name, sub)
        batches.append(batch)
    order = {name: index for index, name in enumerate(names)}
    report.problems.sort(key=lambda p: (order.get(p.sheet, -1), p.line))  # stable: columns stay in order
    return report, batches


def _check_sheet(
    sub: Report, batch: _Batch, table, mapped: dict[str, int], regular_count: int, context: _Context
) -> None:
    """One subject sheet: its header against the plan, then each line's student and cells."""
    assignment, school_class = batch.assignment, context.school_class
    plan_columns = regular_columns(regular_count) + list(FINAL_COLUMNS)
    header_line = table.rows[0][0]
    for column in regular_columns(MAX_REGULAR)[regular_count:]:
        if column in mapped:
            sub.problem(
                header_line, column, column,
                gettext("Cột %(column)s không có trong kế hoạch đánh giá (TX1–TX%(count)s, GK, CK).")
                % {"column": column, "count": regular_count},
            )  # fmt: skip
    # STT, Họ và tên and ĐTBmhk are not read (formulas in them too are fine), nor a TX beyond the plan.
    read = {key: index for key, index in mapped.items() if key == "student_code" or key in plan_columns}
    scored = assignment.subject.assessment == Assessment.SCORED
    seen: set[str] = set()
    for row in data_rows(table, read, _columns(regular_count).headers, sub):
        code = row.value("student_code")
        student = context.enrolled.get(code)
        if not code:
            row.bad("student_code", gettext("Thiếu mã học sinh."))
        elif code not in context.known:
            row.bad("student_code", gettext("Không có học sinh nào mang mã này trong trường."))
        elif student is None:
            row.bad("student_code", gettext("Học sinh không thuộc lớp %(cls)s.") % {"cls": school_class.name})
        elif code in seen:
            row.bad("student_code", gettext("Học sinh này xuất hiện hai lần trong trang."))
        if student is None or code in seen:
            continue
        seen.add(code)
        current_row = context.existing.get((student.pk, assignment.subject_id), {})
        for column in plan_columns:
            raw = row.value(column)
            if not raw:  # an empty cell never clears a score
                continue
            try:
                parsed = parse_score(raw) if scored else parse_rating(raw)
            except ScoreError as error:
                row.bad(column, str(error))
                continue
            new_text = score_text(parsed, None) if scored else score_text(None, parsed)
            current = current_row.get(column)
            current_text = score_text(current.value, current.rating) if current else ""
            if new_text == current_text:
                sub.summary.unchanged += 1
                continue
            if current is not None and current.updated_at > context.exported_at:
                row.bad(
                    column,
                    gettext(
                        "Xung đột: ô này đã được %(who)s sửa thành «%(value)s» lúc %(time)s, sau khi xuất "
                        "tệp; hãy xuất lại tệp mới rồi nhập lại."
                    )
                    % {
                        "who": current.updated_by.full_name if current.updated_by else gettext("người khác"),
                        "value": current_text,
                        "time": timezone.localtime(current.updated_at).strftime("%d/%m/%Y %H:%M"),
                    },
                )
                continue
            sub.summary.changed += 1
            batch.cells.append(
                {"student_id": student.pk, "column": column, "text": raw,
                 "version": current.version if current else None}
            )  # fmt: skip
            batch.where[(student.pk, column)] = (row.line, raw)


def gradebook_check(
    *, staff: StaffMember, school_class: SchoolClass, term: Term, data: bytes, filename: str, now=None
) -> GradebookReport:
    """Everything but the writes: the problems and, per sheet, the cells that would change."""
    report, _batches = _check(
        staff=staff,
        school_class=school_class,
        term=term,
        data=data,
        filename=filename,
        now=now or timezone.now(),
    )
    return report


def gradebook_import(
    *,
    staff: StaffMember,
    school_class: SchoolClass,
    term: Term,
    data: bytes,
    filename: str,
    now: dt.datetime | None = None,
) -> GradebookReport:
    """Check again, then apply every changed cell of every sheet, or nothing (`report.committed` tells)."""
    now = now or timezone.now()
    with transaction.atomic():
        report, batches = _check(
            staff=staff, school_class=school_class, term=term, data=data, filename=filename, now=now
        )
        if not report.ok:
            return report
        for batch in batches:
            if not batch.cells:
                continue
            try:
                result = scores_save(
                    actor_staff=staff,
                    assignment=batch.assignment,
                    term=term,
                    cells=batch.cells,
                    now=now,
                    on_behalf=batch.assignment.teacher_id != staff.pk,
                )
            except GradeError as error:
                report.problem(batch.sheet, 0, "", "", str(error))
                continue
            for cell in result.invalid + result.conflicts:  # changed since the check (a concurrent save)
                line, raw = batch.where[(cell.student_id, cell.column)]
                report.problem(batch.sheet, line, cell.column, raw, cell.reason)
        if not report.ok:
            transaction.set_rollback(True)
            return report
        audit_record(
            actor=staff.user,
            action="gradebook.import",
            obj=school_class,
            after={
                "term": term.pk,
                "file": filename,
                "changed": {summary.sheet: summary.changed for summary in report.sheets if summary.changed},
            },
        )
        report.committed = True
    return report
