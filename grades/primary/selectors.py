"""Reads of primary assessment (Circular 27): the subject grid of a teaching assignment at a checkpoint, the
homeroom teacher's quality/competency grid, the class's end-of-year results and the printable report card of a
checkpoint. Students are listed by name
and never ranked. Each read loads the students, the grade's subjects and the cells once: a constant number
of queries, whatever the size of the class."""

from dataclasses import dataclass, field
from itertools import zip_longest

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from grades.models import PrimaryQuality, PrimaryRating, PrimaryReview
from grades.primary.services import SLUG_OF_ITEM, cell_text, subject_codes_of_grade, test_required
from grades.rules.circular27 import (
    COMPETENCIES,
    GENERAL_COMPETENCIES,
    QUALITIES,
    Checkpoint,
    QualityRating,
    RatingError,
    ScoreError,
    SubjectRating,
    YearResult,
    end_of_year_result,
    tests_required,
)
from students.models import (
    Assessment,
    Enrolment,
    SchoolClass,
    Student,
    Subject,
    SubjectLoad,
    TeachingAssignment,
)
from students.selectors import class_students
from tenants.models import Level

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
    level: YearResult | None = None  # the result, None while INCOMPLETE


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


def _grade_subjects(school_class: SchoolClass) -> list[Subject]:
    """The grade's active primary subjects (the school's own catalogue), in catalogue order."""
    loads = (
        SubjectLoad.objects.filter(
            grade_id=school_class.grade_id,
            subject__is_active=True,
            subject__assessment=Assessment.PRIMARY_RATING,
        )
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    )
    return [load.subject for load in loads]


@dataclass
class _Checkpoint:
    """Everything rated in a class at one checkpoint, each kind loaded in one query."""

    subjects: list[Subject]
    tested: dict[int, bool]  # subject pk → whether it has a written test at the checkpoint
    ratings: dict[tuple[int, int], PrimaryRating]  # (student pk, subject pk)
    qualities: dict[tuple[int, str], str]  # (student pk, item) → T / Đ / C


def _tested(grade: int, subjects: list[Subject], checkpoint: Checkpoint) -> dict[int, bool]:
    codes = {subject.code for subject in subjects}
    return {s.pk: tests_required(grade, checkpoint, s.code, codes) for s in subjects}


def _cells_load(students, year_id: int, checkpoint: Checkpoint, subjects=None):
    """(ratings, qualities) of `students` (objects or ids) at the checkpoint, in two queries."""
    where = {"student__in": students, "year_id": year_id, "checkpoint": checkpoint.value}
    found = PrimaryRating.objects.filter(**where)
    if subjects is not None:
        found = found.filter(subject__in=subjects)
    ratings = {
        (r.student_id, r.subject_id): r
        for r in found.only("student_id", "subject_id", "rating", "test_score", "comment")
    }
    qualities = {
        (student_id, item): rating
        for student_id, item, rating in PrimaryQuality.objects.filter(**where).values_list(
            "student_id", "item", "rating"
        )
    }
    return ratings, qualities


def _checkpoint_load(
    school_class: SchoolClass, students: list[Student], checkpoint: Checkpoint
) -> _Checkpoint:
    subjects = _grade_subjects(school_class)
    tested = _tested(school_class.grade.number, subjects, checkpoint)
    ratings, qualities = _cells_load(students, school_class.year_id, checkpoint, subjects)
    return _Checkpoint(subjects, tested, ratings, qualities)


def _subject_cell(rating: PrimaryRating | None, tested: bool) -> SubjectCell:
    code = rating.rating if rating is not None else ""
    score = rating.test_score if rating is not None else None
    return SubjectCell(code, SubjectRating(code).label if code else "", tested, cell_text(score))


def _result_row(student: Student, loaded: _Checkpoint) -> ResultRow:
    """A student's end-of-year row: `loaded` is the class's END_OF_YEAR checkpoint."""
    row = ResultRow(student)
    subject_ratings, test_scores = {}, {}
    missing_subjects, missing_tests, missing_items = [], [], []
    for subject in loaded.subjects:
        cell = loaded.ratings.get((student.pk, subject.pk))
        row.subjects.append(_subject_cell(cell, loaded.tested[subject.pk]))
        if cell is not None and cell.rating:
            subject_ratings[subject.code] = SubjectRating(cell.rating)
        else:
            missing_subjects.append(subject.name)
        if loaded.tested[subject.pk]:
            if cell is None or cell.test_score is None:
                missing_tests.append(subject.name)
            else:
                test_scores[subject.code] = cell.test_score
    item_ratings = {}
    for item in QUALITIES + COMPETENCIES:
        rating = loaded.qualities.get((student.pk, item), "")
        row.items.append(rating)
        if rating:
            item_ratings[item] = QualityRating(rating)
        else:
            missing_items.append(item)
    row.missing = _missing_text(missing_subjects, missing_tests, missing_items)
    if not loaded.subjects:
        row.missing = gettext("khối lớp chưa có môn học nào")
    if not row.missing:
        try:
            row.level = end_of_year_result(
                subject_ratings,
                {item: item_ratings[item] for item in QUALITIES},
                {item: item_ratings[item] for item in COMPETENCIES},
                test_scores,
            )
            row.result = row.level.label
        except (RatingError, ScoreError) as error:  # e.g. the school's catalogue changed since entry
            row.missing = str(error)
    return row


def primary_results(school_class: SchoolClass) -> PrimaryResults:
    """Per student enrolled today: the end-of-year rating (and test score) of every subject of the grade, the
    end-of-year rating of each quality and competency, and the end-of-year result by Circular 27, or
    INCOMPLETE with what is missing. `school_class` comes with its grade loaded."""
    students = class_students(school_class, timezone.localdate())
    loaded = _checkpoint_load(school_class, students, Checkpoint.END_OF_YEAR)
    rows = [_result_row(student, loaded) for student in students]
    return PrimaryResults(school_class, [s.name for s in loaded.subjects], item_columns(), rows)


def primary_year_results(year, school_class: SchoolClass | None = None) -> list[tuple[int, ResultRow]]:
    """(class id, end-of-year row) of each student enrolled today in a primary class of `year` (or in
    `school_class`), as on the class results page: four queries whatever the size of the school."""
    today = timezone.localdate()
    enrolments = (
        Enrolment.objects.filter(
            school_class__year=year, school_class__grade__level=Level.PRIMARY, starts_on__lte=today
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("student", "school_class__grade")
        .order_by("student__full_name_folded", "student__student_code")
    )
    if school_class is not None:
        enrolments = enrolments.filter(school_class=school_class)
    enrolments = list(enrolments)
    grades = {e.school_class.grade_id: e.school_class.grade.number for e in enrolments}
    subjects: dict[int, list[Subject]] = {grade_id: [] for grade_id in grades}
    for load in (
        SubjectLoad.objects.filter(
            grade_id__in=grades, subject__is_active=True, subject__assessment=Assessment.PRIMARY_RATING
        )
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    ):
        subjects[load.grade_id].append(load.subject)
    end = Checkpoint.END_OF_YEAR
    ratings, qualities = _cells_load([e.student_id for e in enrolments], year.pk, end)
    loaded = {
        grade_id: _Checkpoint(
            subjects[grade_id], _tested(number, subjects[grade_id], end), ratings, qualities
        )
        for grade_id, number in grades.items()
    }
    return [(e.school_class_id, _result_row(e.student, loaded[e.school_class.grade_id])) for e in enrolments]


# --- the printable report card (phiếu liên lạc) of a checkpoint ---------------------------------------------


@dataclass
class CardLine:
    subject: str
    cell: SubjectCell  # `tested` says whether the checkpoint has a written test in this subject
    comment: str


@dataclass
class CardItem:
    name: str
    rating: str  # T / Đ / C, "" while not rated
    label: str  # Tốt / Đạt / Cần cố gắng, "" while not rated


@dataclass
class PrimaryCard:
    student: Student
    lines: list[CardLine]
    groups: list[str]  # Phẩm chất, Năng lực chung, Năng lực đặc thù
    item_rows: list[list[CardItem | None]]  # the groups side by side: row n holds each group's n-th item
    comment: str  # the homeroom teacher's general comment
    year: ResultRow | None  # at the end of the year: the result, or INCOMPLETE with what is missing


@dataclass
class PrimaryReport:
    has_tests: bool  # whether any subject of the grade has a written test at the checkpoint
    cards: list[PrimaryCard]


def primary_report_cards(
    school_class: SchoolClass, checkpoint: Checkpoint, student_id: int | None = None
) -> PrimaryReport:
    """Each student's (or one student's) report at `checkpoint`: the rating, test score and comment of every
    subject of the grade, the quality and competency ratings, the general comment and, at the end of the
    year, the year's result as on the results page. A constant number of queries."""
    students = [
        s
        for s in class_students(school_class, timezone.localdate())
        if student_id is None or s.pk == student_id
    ]
    loaded = _checkpoint_load(school_class, students, checkpoint)
    reviews = dict(
        PrimaryReview.objects.filter(
            student__in=students, year_id=school_class.year_id, checkpoint=checkpoint.value
        ).values_list("student_id", "comment")
    )
    columns = item_columns()
    groups = list(dict.fromkeys(column.group for column in columns))
    cards = []
    for student in students:
        lines = []
        for subject in loaded.subjects:
            rating = loaded.ratings.get((student.pk, subject.pk))
            cell = _subject_cell(rating, loaded.tested[subject.pk])
            lines.append(CardLine(subject.name, cell, rating.comment if rating is not None else ""))
        by_group: dict[str, list[CardItem]] = {group: [] for group in groups}
        for column in columns:
            code = loaded.qualities.get((student.pk, column.item), "")
            label = QualityRating(code).label if code else ""
            by_group[column.group].append(CardItem(column.name, code, label))
        item_rows = [list(row) for row in zip_longest(*by_group.values())]
        year = _result_row(student, loaded) if checkpoint == Checkpoint.END_OF_YEAR else None
        cards.append(PrimaryCard(student, lines, groups, item_rows, reviews.get(student.pk, ""), year))
    return PrimaryReport(any(loaded.tested.values()), cards)
