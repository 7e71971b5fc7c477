"""Reads of the gradebook's documents: which subjects of a class a person may export, each student's cells
by subject, and the printed term report (phiếu liên lạc): every subject's TX, GK, CK and semester
result, the learning result and conduct."""

from __future__ import annotations

from dataclasses import dataclass

from grades.cells import result_text, score_text
from grades.models import Score, regular_columns
from grades.results.selectors import class_results
from students.models import Assessment, SchoolClass, StaffMember, Student, TeachingAssignment, Term
from students.permissions import is_homeroom_teacher_of, is_manager


def secondary_assignments(school_class: SchoolClass) -> list[TeachingAssignment]:
    return list(
        TeachingAssignment.objects.filter(
            school_class=school_class, subject__assessment__in=(Assessment.SCORED, Assessment.PASS_FAIL)
        )
        .select_related("subject", "teacher")
        .order_by("subject__order", "subject__name")
    )


def exportable_assignments(staff: StaffMember | None, school_class: SchoolClass) -> list[TeachingAssignment]:
    """Managers and the homeroom teacher export the whole class; a subject teacher their own subjects."""
    if staff is None:
        return []
    assignments = secondary_assignments(school_class)
    if is_manager(staff) or is_homeroom_teacher_of(staff, school_class):
        return assignments
    return [a for a in assignments if a.teacher_id == staff.pk]


def cells_by_student(
    students: list[Student], subject_ids: list[int], term: Term
) -> dict[tuple[int, int], dict[str, Score]]:
    """(student id, subject id) → column → Score, in one query."""
    cells: dict[tuple[int, int], dict[str, Score]] = {}
    for score in Score.objects.filter(
        student__in=[s.pk for s in students], subject_id__in=subject_ids, term=term
    ).select_related("updated_by"):
        cells.setdefault((score.student_id, score.subject_id), {})[score.column] = score
    return cells


@dataclass
class ReportLine:
    subject: str
    regular: list[str]  # TX1…TXn as shown, "" for an empty cell
    midterm: str
    final: str
    average: str

    @property
    def regular_text(self) -> str:
        """ "7,0 · – · 9,0": an empty TX keeps its place; nothing at all while every TX is empty."""
        return " · ".join(text or "–" for text in self.regular) if any(self.regular) else ""


@dataclass
class ReportCard:
    student: Student
    lines: list[ReportLine]
    learning: str
    conduct: str


def report_cards(school_class: SchoolClass, term: Term, student_id: int | None = None) -> list[ReportCard]:
    """Each student's (or one student's) term report: every subject's TX, GK, CK and semester result, the
    learning result and conduct (grades.results.selectors.class_results). A constant number of queries."""
    results = class_results(school_class, term)
    rows = [row for row in results.rows if student_id is None or row.student.pk == student_id]
    cells = cells_by_student([row.student for row in rows], [s.subject_id for s in results.subjects], term)
    cards = []
    for row in rows:
        lines = []
        for subject, result in zip(results.subjects, row.results, strict=True):
            scores = cells.get((row.student.pk, subject.subject_id), {})
            regular = [_text(scores, column) for column in regular_columns(subject.regular_count or 0)]
            lines.append(
                ReportLine(
                    subject.name, regular, _text(scores, "GK"), _text(scores, "CK"), result_text(result)
                )
            )
        cards.append(ReportCard(row.student, lines, row.learning, row.conduct))
    return cards


def _text(scores: dict[str, Score], column: str) -> str:
    score = scores.get(column)
    return score_text(score.value, score.rating) if score else ""
