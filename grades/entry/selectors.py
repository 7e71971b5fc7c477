"""Reads of the secondary entry grid (Circular 22): the grid of a teaching assignment and term (students by
name, cells with their versions, live semester averages, lock state), the fill progress of the gradebook
home page, and the deadlines and unlocks pages.

Each read runs a constant number of queries whatever the size of the class or the number of assignments."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from grades.cells import SECONDARY_KINDS, cell_average, result_text, score_text
from grades.locks import LockState, lock_state
from grades.models import FINAL_COLUMNS, AssessmentPlan, EntryDeadline, Score, Unlock, regular_columns
from students.models import Assessment, Enrolment, StaffMember, Student, TeachingAssignment, Term
from students.selectors import class_students


def secondary_assignment(pk: int) -> TeachingAssignment | None:
    """A teaching assignment of a subject entered as scores or Đ/CĐ (Circular 22), or None."""
    return (
        TeachingAssignment.objects.select_related("teacher", "subject", "school_class__grade")
        .filter(pk=pk, subject__assessment__in=SECONDARY_KINDS)
        .first()
    )


@dataclass
class GridCell:
    column: str
    text: str = ""
    version: int | None = None
    score_id: int | None = None  # None while the cell has never been saved (no history yet)


@dataclass
class GridRow:
    student: Student
    cells: list[GridCell]
    average: str  # "8,3", "Đ", "CĐ", "" while a required cell is empty


@dataclass
class EntryGrid:
    assignment: TeachingAssignment
    term: Term
    terms: list[Term]
    plan: AssessmentPlan | None  # None: no plan for the subject in this grade (nothing can be entered)
    columns: list[str] = field(default_factory=list)
    rows: list[GridRow] = field(default_factory=list)
    lock: LockState | None = None

    @property
    def scored(self) -> bool:
        return self.assignment.subject.assessment == Assessment.SCORED


def plan_of(assignment: TeachingAssignment, term: Term) -> AssessmentPlan | None:
    return AssessmentPlan.objects.filter(
        year_id=term.year_id, grade_id=assignment.school_class.grade_id, subject_id=assignment.subject_id
    ).first()


def scores_by_row(subject_id: int, term: Term, student_ids) -> dict[int, dict[str, Score]]:
    """The cells of the students in one query: {student_id: {column: Score}}."""
    rows: dict[int, dict[str, Score]] = {student_id: {} for student_id in student_ids}
    for score in Score.objects.filter(subject_id=subject_id, term=term, student_id__in=list(rows)):
        rows[score.student_id][score.column] = score
    return rows


def row_average(row: dict[str, Score], plan: AssessmentPlan) -> str:
    return result_text(cell_average(row, plan.regular_count, plan.assessment == Assessment.SCORED))


def entry_grid(assignment: TeachingAssignment, term: Term, *, today: date, now: datetime) -> EntryGrid:
    """The grid of a secondary teaching assignment for a term: the students enrolled in the class today, by
    name, each with a cell per column of the plan (TX1…TXn, GK, CK) and the semester average."""
    terms = list(Term.objects.filter(year_id=assignment.school_class.year_id).order_by("number"))
    plan = plan_of(assignment, term)
    grid = EntryGrid(assignment=assignment, term=term, terms=terms, plan=plan)
    if plan is None:
        return grid
    grid.lock = lock_state(
        term=term, subject=assignment.subject, school_class=assignment.school_class, now=now
    )
    grid.columns = regular_columns(plan.regular_count) + list(FINAL_COLUMNS)
    students = class_students(assignment.school_class, today)
    cells = scores_by_row(assignment.subject_id, term, [student.pk for student in students])
    for student in students:
        row = cells[student.pk]
        grid.rows.append(
            GridRow(
                student=student,
                cells=[_grid_cell(column, row.get(column)) for column in grid.columns],
                average=row_average(row, plan),
            )
        )
    return grid


def _grid_cell(column: str, score: Score | None) -> GridCell:
    if score is None:
        return GridCell(column)
    return GridCell(column, score_text(score.value, score.rating), score.version, score.pk)


@dataclass
class TermProgress:
    term: Term
    filled: int
    expected: int

    @property
    def percent(self) -> int:
        return round(100 * self.filled / self.expected) if self.expected else 0


def gradebook_assignments(*, year, staff: StaffMember | None, today: date):
    """The secondary teaching assignments of the year, with `student_count` (enrolled today) and
    `regular_count` (the plan's TX count, None without a plan) annotated. With a staff member: only their own
    assignments and those of the classes they are homeroom teacher of; without: every class's."""
    assignments = TeachingAssignment.objects.filter(
        school_class__year=year, subject__assessment__in=SECONDARY_KINDS
    )
    if staff is not None:
        assignments = assignments.filter(Q(teacher=staff) | Q(school_class__homeroom_teacher=staff))
    enrolled = (
        Enrolment.objects.filter(school_class=OuterRef("school_class"), starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .values("school_class")
        .annotate(n=Count("pk"))
        .values("n")
    )
    plan = AssessmentPlan.objects.filter(
        year_id=OuterRef("school_class__year_id"),
        grade_id=OuterRef("school_class__grade_id"),
        subject_id=OuterRef("subject_id"),
    ).values("regular_count")[:1]
    return (
        assignments.select_related("teacher", "subject", "school_class__grade")
        .annotate(
            student_count=Coalesce(Subquery(enrolled, output_field=IntegerField()), 0),
            regular_count=Subquery(plan, output_field=IntegerField()),
        )
        .order_by("school_class__grade__number", "school_class__name", "subject__order", "subject__name")
    )


def entry_progress(assignments, terms: list[Term], today: date) -> dict[int, list[TermProgress]]:
    """Per assignment id, per term: the filled cells of the students enrolled today against the expected
    ones (students × (TX count + GK + CK)). The filled counts of every assignment and term come from one
    aggregate query."""
    assignments = list(assignments)
    pairs = {(a.school_class_id, a.subject_id): a.pk for a in assignments}
    filled: dict[tuple[int, int], int] = {}
    if assignments and terms:
        counts = (
            Score.objects.filter(Q(value__isnull=False) | Q(rating__isnull=False))
            .filter(term__in=terms, subject_id__in={a.subject_id for a in assignments})
            # one filter() call: the three conditions hold for the same enrolment row
            .filter(
                Q(student__enrolments__ends_on__isnull=True) | Q(student__enrolments__ends_on__gte=today),
                student__enrolments__school_class_id__in={a.school_class_id for a in assignments},
                student__enrolments__starts_on__lte=today,
            )
            .values_list("student__enrolments__school_class_id", "subject_id", "term_id")
            .annotate(n=Count("pk"))
        )
        for class_id, subject_id, term_id, n in counts:
            assignment_id = pairs.get((class_id, subject_id))
            if assignment_id is not None:
                filled[(assignment_id, term_id)] = n
    return {
        a.pk: [
            TermProgress(
                term,
                filled.get((a.pk, term.pk), 0),
                a.student_count * (a.regular_count + len(FINAL_COLUMNS)) if a.regular_count else 0,
            )
            for term in terms
        ]
        for a in assignments
    }


def year_deadlines(year) -> list[EntryDeadline]:
    """The year's deadlines: per term, the general one first, then the subjects' own by subject."""
    return list(
        EntryDeadline.objects.filter(term__year=year)
        .select_related("term", "subject")
        .order_by("term__number", F("subject").asc(nulls_first=True), "subject__order", "subject__name")
    )


def open_unlocks(year, now: datetime) -> list[Unlock]:
    """The unlocks of the year's terms that have not ended yet, soonest end first."""
    return list(
        Unlock.objects.filter(term__year=year, until__gt=now)
        .select_related("term", "subject", "school_class", "granted_by")
        .order_by("until", "school_class__name")
    )
