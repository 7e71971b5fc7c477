"""The parent view of a child's gradebook: only what was published (the published_* copies,
never the live values), with the semester and year results computed from published values by the same
rules as the school's results page. No ranks, no class averages, no comparison with other students
(Circular 22, art. 4).

A constant number of queries, whatever the number of scores: the class, its terms, its subjects and plans,
the student's published scores (secondary) or ratings, qualities and comments (primary), each loaded once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from grades.cells import cell_average, result_text, score_text
from grades.models import (
    FINAL_COLUMNS,
    AssessmentPlan,
    Conduct,
    PrimaryQuality,
    PrimaryRating,
    PrimaryReview,
    Score,
    regular_columns,
)
from grades.publication.selectors import COLUMN_ORDER
from grades.results.selectors import INCOMPLETE, class_subjects, learning_level
from grades.rules import circular22
from grades.rules.circular27 import COMPETENCIES, QUALITIES, Checkpoint, QualityRating, SubjectRating
from schoolbook.caching import rows_version
from students.models import GradeLevel, SchoolClass, Student, Subject, TeachingAssignment, Term

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class PublishedCell:
    """A cell as parents see it, shaped like a Score for grades.cells.cell_average."""

    value: Decimal | None
    rating: bool | None

    @property
    def is_empty(self) -> bool:
        return self.value is None and self.rating is None


@dataclass
class WeekItem:
    subject: str
    label: str  # "TX2", or a primary checkpoint's name
    text: str  # "8,5", "Đ", "Hoàn thành tốt"


@dataclass
class WeekSubject:
    """This week's news of one subject by day, the newest day first; within a day, latest first and, for
    one publish act, in column order."""

    subject: str
    days: list[tuple[date, list[WeekItem]]]


@dataclass
class SubjectRow:
    name: str
    regular: list[str]  # TX1…TXn of the plan, "" where nothing is published
    mid: str
    final: str
    average: str  # "" until every required cell is published


@dataclass
class TermGrades:
    term: Term | None  # None: the whole year
    subjects: list[SubjectRow]
    learning: str  # the learning result, or INCOMPLETE
    conduct: str = ""  # the published conduct (Tốt, Khá, Đạt, Chưa đạt), "" until published

    @property
    def has_any(self) -> bool:
        return any(any(row.regular) or row.mid or row.final for row in self.subjects)


@dataclass
class PrimaryCheckpoint:
    label: str
    subjects: list[dict] = field(default_factory=list)  # name, rating, test_score, comment
    qualities: list[tuple[str, str]] = field(default_factory=list)  # (item, rating label)
    review: str = ""


@dataclass
class ChildGrades:
    student: Student
    school_class: SchoolClass | None
    week: list[WeekSubject] = field(default_factory=list)  # the subject with the newest item first
    terms: list[TermGrades] = field(default_factory=list)
    year: TermGrades | None = None  # both terms complete (every subject has both results)
    checkpoints: list[PrimaryCheckpoint] = field(default_factory=list)
    week_until: datetime | None = None  # when the oldest item leaves "this week" (the page changes by itself)

    @property
    def is_empty(self) -> bool:
        return not (self.week or self.checkpoints or any(t.has_any or t.conduct for t in self.terms))


def _week_of(child: ChildGrades, items: list[tuple[datetime, WeekItem]], now: datetime) -> None:
    """child.week: items published in the last 7 days grouped by subject (the subject with the newest item
    first), then by local day, newest first; within a day, latest first and, for one publish act, in the
    order given (column order). child.week_until: when the oldest of them leaves the week."""
    subjects: dict[str, dict[date, list[WeekItem]]] = {}
    recent = [(at, n, item) for n, (at, item) in enumerate(items) if at >= now - WEEK]
    for published_at, _, item in sorted(recent, key=lambda entry: (-entry[0].timestamp(), entry[1])):
        day = timezone.localtime(published_at).date()
        subjects.setdefault(item.subject, {}).setdefault(day, []).append(item)
    child.week = [WeekSubject(subject, list(days.items())) for subject, days in subjects.items()]
    child.week_until = min(at for at, _, _ in recent) + WEEK if recent else None


def grades_version(student: Student) -> str:
    """A version of every row child_grades reads for `student` (whose current_class_id comes from
    students.selectors): the student's scores, conduct and primary records, the class with its grade, terms,
    teaching assignments and assessment plans, and the subjects (schoolbook.caching.rows_version)."""
    class_id = getattr(student, "current_class_id", None)
    of_class = f"(SELECT %s FROM {SchoolClass._meta.db_table} WHERE id = %%s)"
    mine = "student_id = %s"
    return rows_version(
        (Student._meta.db_table, "id = %s", [student.pk]),
        (Score._meta.db_table, mine, [student.pk]),
        (Conduct._meta.db_table, mine, [student.pk]),
        (PrimaryRating._meta.db_table, mine, [student.pk]),
        (PrimaryQuality._meta.db_table, mine, [student.pk]),
        (PrimaryReview._meta.db_table, mine, [student.pk]),
        (SchoolClass._meta.db_table, "id = %s", [class_id]),
        (GradeLevel._meta.db_table, "id = " + of_class % "grade_id", [class_id]),
        (Term._meta.db_table, "year_id = " + of_class % "year_id", [class_id]),
        (TeachingAssignment._meta.db_table, "school_class_id = %s", [class_id]),
        (
            AssessmentPlan._meta.db_table,
            "(year_id, grade_id) = " + of_class % "year_id, grade_id",
            [class_id],
        ),
        (Subject._meta.db_table, "true", []),
    )


def child_grades(student: Student, now: datetime | None = None) -> ChildGrades:
    """What a parent sees of `student` (whose current_class_id comes from students.selectors)."""
    now = now or timezone.now()
    class_id = getattr(student, "current_class_id", None)
    school_class = (
        SchoolClass.objects.select_related("grade").filter(pk=class_id).first() if class_id else None
    )
    child = ChildGrades(student, school_class)
    if school_class is None:
        return child
    if school_class.grade.level == "primary":
        _primary(child, school_class, now)
    else:
        _secondary(child, school_class, now)
    return child


def _secondary(child: ChildGrades, school_class: SchoolClass, now: datetime) -> None:
    terms = list(Term.objects.filter(year_id=school_class.year_id).order_by("number"))
    subjects = class_subjects(school_class)
    cells: dict[tuple[int, int], dict[str, PublishedCell]] = defaultdict(dict)
    week: list[tuple[datetime, WeekItem]] = []
    names = {subject.subject_id: subject.name for subject in subjects}
    published = Score.objects.filter(
        student=child.student, term__in=terms, subject_id__in=names, published_at__isnull=False
    ).values_list("subject_id", "term_id", "column", "published_value", "published_rating", "published_at")
    order = {subject.subject_id: n for n, subject in enumerate(subjects)}
    published = sorted(published, key=lambda row: (order[row[0]], COLUMN_ORDER[row[2]]))
    for subject_id, term_id, column, value, rating, published_at in published:
        cell = PublishedCell(value, rating)
        if cell.is_empty:
            continue
        cells[(subject_id, term_id)][column] = cell
        week.append((published_at, WeekItem(names[subject_id], column, score_text(value, rating))))
    _week_of(child, week, now)

    conducts = dict(
        Conduct.objects.filter(student=child.student, term__in=terms)
        .exclude(published_rating="")
        .values_list("term_id", "published_rating")
    )
    results: dict[int, list] = {}
    for term in terms:
        rows, averages = [], []
        for subject in subjects:
            row = cells.get((subject.subject_id, term.pk), {})
            count = subject.regular_count or 0
            average = cell_average(row, count, subject.scored) if subject.regular_count else None
            averages.append(average)

            def text(column, row=row):
                cell = row.get(column)
                return score_text(cell.value, cell.rating) if cell else ""

            rows.append(
                SubjectRow(
                    subject.name,
                    [text(column) for column in regular_columns(count)],
                    text(FINAL_COLUMNS[0]),
                    text(FINAL_COLUMNS[1]),
                    result_text(average),
                )
            )
        results[term.number] = averages
        level = learning_level(subjects, averages)
        child.terms.append(
            TermGrades(term, rows, level.label if level else INCOMPLETE, conducts.get(term.pk, ""))
        )

    one, two = results.get(1), results.get(2)
    if subjects and one and two and all(r is not None for r in one + two):
        year = []
        for subject, first, second in zip(subjects, one, two, strict=True):
            if subject.scored:
                year.append(circular22.year_average(first, second))
            else:  # a comment-only subject's year result is its semester II result
                year.append(circular22.pass_fail_year(first, second))
        level = learning_level(subjects, year)
        rows = [SubjectRow(s.name, [], "", "", result_text(r)) for s, r in zip(subjects, year, strict=True)]
        child.year = TermGrades(None, rows, level.label if level else INCOMPLETE)


def _primary(child: ChildGrades, school_class: SchoolClass, now: datetime) -> None:
    year_id = school_class.year_id
    by_checkpoint = {checkpoint: PrimaryCheckpoint(checkpoint.label) for checkpoint in Checkpoint}
    week: list[tuple[datetime, WeekItem]] = []
    ratings = (
        PrimaryRating.objects.filter(student=child.student, year_id=year_id, published_at__isnull=False)
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    )
    for rating in ratings:
        if not (
            rating.published_rating or rating.published_comment or rating.published_test_score is not None
        ):
            continue
        checkpoint = Checkpoint(rating.checkpoint)
        label = SubjectRating(rating.published_rating).label if rating.published_rating else ""
        by_checkpoint[checkpoint].subjects.append(
            {
                "name": rating.subject.name,
                "rating": label,
                "test_score": rating.published_test_score,
                "comment": rating.published_comment,
            }
        )
        if label:
            week.append((rating.published_at, WeekItem(rating.subject.name, checkpoint.label, label)))
    qualities = PrimaryQuality.objects.filter(
        student=child.student, year_id=year_id, published_at__isnull=False
    ).exclude(published_rating="")
    items = QUALITIES + COMPETENCIES
    for quality in sorted(qualities, key=lambda q: items.index(q.item) if q.item in items else len(items)):
        by_checkpoint[Checkpoint(quality.checkpoint)].qualities.append(
            (quality.item, QualityRating(quality.published_rating).label)
        )
    reviews = PrimaryReview.objects.filter(
        student=child.student, year_id=year_id, published_at__isnull=False
    ).exclude(published_comment="")
    for review in reviews:
        by_checkpoint[Checkpoint(review.checkpoint)].review = review.published_comment
    _week_of(child, week, now)
    child.checkpoints = [
        checkpoint
        for checkpoint in by_checkpoint.values()
        if checkpoint.subjects or checkpoint.qualities or checkpoint.review
    ]
