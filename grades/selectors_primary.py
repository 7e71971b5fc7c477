"""Reads of primary assessment (Circular 27): the subject grid of a teaching assignment at a checkpoint, the
homeroom teacher's quality/competency grid, and the class's end-of-year results. Students are listed by name
and never ranked. Each read loads the students, the grade's subjects and the cells once: a constant number
of queries, whatever the size of the class."""

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext

from grades.models import PrimaryQuality, PrimaryRating, PrimaryReview
from grades.rules.circular27 import (
    COMPETENCIES,
    GENERAL_COMPETENCIES,
    QUALITIES,
    Checkpoint,
    QualityRating,
    RatingError,
    ScoreError,
    SubjectRating,
    end_of_year_result,
    tests_required,
)
from grades.selectors import class_students
from grades.services_primary import SLUG_OF_ITEM, cell_text, subject_codes_of_grade, test_required
from students.models import Assessment, SchoolClass, Student, SubjectLoad, TeachingAssignment

INCOMPLETE = "Chưa đủ đánh giá"  # the end-of-year result cannot be computed yet: something is missing


# --- the subject grid ---------------------------------------------------------------------------------------


@dataclass
class EntryRow:
    student: Student
    version: int | None  # one version for the row's rating, test and comment (PrimaryRating)
    rating: str = ""
    test: str = ""
    comment: str = ""


@dataclass
class EntryGrid:
    assignment: TeachingAssignment
    checkpoint: Checkpoint
    has_test: bool
    rows: list[EntryRow]


def primary_entry_grid(assignment: TeachingAssignment, checkpoint: Checkpoint) -> EntryGrid:
    """The rows of a subject's grid: `assignment` comes with its class (grade) and subject loaded."""
    school_class = assignment.school_class
    students = class_students(school_class, timezone.localdate())
    cells = {
        row.student_id: row
        for row in PrimaryRating.objects.filter(
            student__in=students,
            subject_id=assignment.subject_id,
            year_id=school_class.year_id,
            checkpoint=checkpoint.value,
        )
    }
    rows = []
    for student in students:
        row = cells.get(student.pk)
        if row is None:
            rows.append(EntryRow(student, None))
        else:
            rows.append(EntryRow(student, row.version, row.rating, cell_text(row.test_score), row.comment))
    has_test = test_required(assignment, checkpoint, subject_codes_of_grade(school_class.grade_id))
    return EntryGrid(assignment, checkpoint, has_test, rows)


# --- the homeroom teacher's grid: qualities, competencies, general comment ----------------------------------


@dataclass
class ItemColumn:
    slug: str  # the grid's column key
    item: str  # the name stored in PrimaryQuality.item
    name: str
    group: str


def item_columns() -> list[ItemColumn]:
    groups = {item: gettext("Phẩm chất") for item in QUALITIES} | {
        item: gettext("Năng lực chung") if item in GENERAL_COMPETENCIES else gettext("Năng lực đặc thù")
        for item in COMPETENCIES
    }
    return [
        ItemColumn(SLUG_OF_ITEM[item], item, item.capitalize(), groups[item])
        for item in QUALITIES + COMPETENCIES
    ]


@dataclass
class QualityCell:
    column: ItemColumn
    version: int | None
    text: str


@dataclass
class QualityRow:
    student: Student
    cells: list[QualityCell]
    review_version: int | None
    comment: str


def primary_qualities_grid(school_class: SchoolClass, checkpoint: Checkpoint) -> list[QualityRow]:
    students = class_students(school_class, timezone.localdate())
    where = {"student__in": students, "year_id": school_class.year_id, "checkpoint": checkpoint.value}
    ratings = {(q.student_id, q.item): q for q in PrimaryQuality.objects.filter(**where)}
    reviews = {r.student_id: r for r in PrimaryReview.objects.filter(**where)}
    columns = item_columns()
    rows = []
    for student in students:
        cells = []
        for column in columns:
            quality = ratings.get((student.pk, column.item))
            cells.append(
                QualityCell(column, quality.version, quality.rating)
                if quality is not None
                else QualityCell(column, None, "")
            )
        review = reviews.get(student.pk)
        rows.append(
            QualityRow(
                student,
                cells,
                review.version if review is not None else None,
                review.comment if review is not None else "",
            )
        )
    return rows


# --- the class's end-of-year results -----------------------------------------------------------------------


@dataclass
class SubjectCell:
    rating: str  # T / H / C, "" while not rated
    label: str  # Hoàn thành tốt …, "" while not rated
    tested: bool
    test: str  # the end-of-year test score, "" while missing


@dataclass
class ResultRow:
    student: Student
    subjects: list[SubjectCell] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # T / Đ / C per quality and competency, "" if not rated
    result: str = INCOMPLETE
    missing: str = ""  # what keeps the result from being computed


@dataclass
class PrimaryResults:
    school_class: SchoolClass
    subjects: list[str]  # names, in catalogue order
    items: list[ItemColumn]
    rows: list[ResultRow]


def _missing_text(subjects: list[str], tests: list[str], items: list[str]) -> str:
    parts = []
    if subjects:
        parts.append(gettext("chưa đánh giá môn %(names)s") % {"names": ", ".join(subjects)})
    if tests:
        parts.append(gettext("chưa có điểm kiểm tra cuối năm môn %(names)s") % {"names": ", ".join(tests)})
    if len(items) == len(QUALITIES) + len(COMPETENCIES):
        parts.append(gettext("chưa đánh giá phẩm chất, năng lực"))
    elif items:
        parts.append(gettext("chưa đánh giá phẩm chất, năng lực: %(names)s") % {"names": ", ".join(items)})
    return "; ".join(parts)


def primary_results(school_class: SchoolClass) -> PrimaryResults:
    """Per student enrolled today: the end-of-year rating (and test score) of every subject of the grade, the
    end-of-year rating of each quality and competency, and the end-of-year result by Circular 27, or
    INCOMPLETE with what is missing. `school_class` comes with its grade loaded."""
    students = class_students(school_class, timezone.localdate())
    loads = list(
        SubjectLoad.objects.filter(
            grade_id=school_class.grade_id,
            subject__is_active=True,
            subject__assessment=Assessment.PRIMARY_RATING,
        )
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    )
    subjects = [load.subject for load in loads]
    codes = {subject.code for subject in subjects}
    grade = school_class.grade.number
    tested = {s.pk: tests_required(grade, Checkpoint.END_OF_YEAR, s.code, codes) for s in subjects}
    where = {"student__in": students, "year_id": school_class.year_id, "checkpoint": Checkpoint.END_OF_YEAR}
    ratings = {
        (r.student_id, r.subject_id): r
        for r in PrimaryRating.objects.filter(subject__in=subjects, **where).only(
            "student_id", "subject_id", "rating", "test_score"
        )
    }
    qualities = {
        (student_id, item): rating
        for student_id, item, rating in PrimaryQuality.objects.filter(**where).values_list(
            "student_id", "item", "rating"
        )
    }
    columns = item_columns()
    rows = []
    for student in students:
        row = ResultRow(student)
        subject_ratings, test_scores = {}, {}
        missing_subjects, missing_tests, missing_items = [], [], []
        for subject in subjects:
            cell = ratings.get((student.pk, subject.pk))
            rating = cell.rating if cell is not None else ""
            score = cell.test_score if cell is not None else None
            label = SubjectRating(rating).label if rating else ""
            row.subjects.append(SubjectCell(rating, label, tested[subject.pk], cell_text(score)))
            if rating:
                subject_ratings[subject.code] = SubjectRating(rating)
            else:
                missing_subjects.append(subject.name)
            if tested[subject.pk]:
                if score is None:
                    missing_tests.append(subject.name)
                else:
                    test_scores[subject.code] = score
        item_ratings = {}
        for item in QUALITIES + COMPETENCIES:
            rating = qualities.get((student.pk, item), "")
            row.items.append(rating)
            if rating:
                item_ratings[item] = QualityRating(rating)
            else:
                missing_items.append(item)
        row.missing = _missing_text(missing_subjects, missing_tests, missing_items)
        if not subjects:
            row.missing = gettext("khối lớp chưa có môn học nào")
        if not row.missing:
            try:
                row.result = end_of_year_result(
                    subject_ratings,
                    {item: item_ratings[item] for item in QUALITIES},
                    {item: item_ratings[item] for item in COMPETENCIES},
                    test_scores,
                ).label
            except (RatingError, ScoreError) as error:  # e.g. the school's catalogue changed since entry
                row.missing = str(error)
        rows.append(row)
    return PrimaryResults(school_class, [s.name for s in subjects], columns, rows)
