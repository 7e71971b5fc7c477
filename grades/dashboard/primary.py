"""Reads of the principal's dashboard for primary classes (Circular 27): at one checkpoint
of a school year, over the primary classes and the students enrolled today (as on the class results page):

- per class × subject: how many students are rated Hoàn thành tốt / Hoàn thành / Chưa hoàn thành, and not
  yet rated;
- per class × tested subject (where the checkpoint has a written test for the grade): the test scores in
  bands 9–10, 7–8, 5–6, under 5, and not yet scored;
- per class: the qualities and competencies, one band per student: Tốt in every item, at least Đạt in every
  item, some item Cần cố gắng, not every item rated;
- at the end of the year, per class: the year's results (Hoàn thành xuất sắc … Chưa hoàn thành, not yet
  computable), and how many completed the class programme (Hoàn thành or better).

A fixed number of queries whatever the size of the school: the classes with their sizes, the grades'
subjects, one GROUP BY over the ratings, one row per student for the qualities, and at the end of the year
the class results page's own computation over the whole school (`primary_year_results`, four queries).
Each figure links to the list of its students (`checkpoint_students`). Students are never ranked."""

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from grades.models import PrimaryQuality, PrimaryRating
from grades.primary.selectors import INCOMPLETE, primary_year_results
from grades.rules.circular27 import (
    COMPETENCIES,
    QUALITIES,
    Checkpoint,
    QualityRating,
    SubjectRating,
    YearResult,
    tests_required,
)
from students.models import (
    Assessment,
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    SubjectLoad,
)
from students.selectors import class_students

NONE = "none"
ITEM_COUNT = len(QUALITIES) + len(COMPETENCIES)

# The figures' keys, as in drill-down URLs (?value=…), best first, then "none" (not rated / not scored).
RATING_KEYS = [r.code for r in SubjectRating] + [NONE]
TEST_BANDS = (("9-10", 9), ("7-8", 7), ("5-6", 5), ("0-4", 0))  # (key, lowest score of the band)
TEST_KEYS = [key for key, _ in TEST_BANDS] + [NONE]
QUALITY_BANDS = ("tot", "dat", "can-co-gang")
QUALITY_KEYS = [*QUALITY_BANDS, NONE]
RESULT_OF_KEY = {r.code.lower(): r for r in YearResult}
COMPLETED = "completed"  # completed the class programme: Hoàn thành or better
RESULT_KEYS = [*RESULT_OF_KEY, NONE, COMPLETED]
KINDS = ("rating", "test", "quality", "result")


def score_band(score: int | None) -> str:
    """The band of a written-test score (a whole number 0–10): "9-10", "7-8", "5-6", "0-4"; "none" if
    there is no score."""
    if score is None:
        return NONE
    return next(key for key, lowest in TEST_BANDS if score >= lowest)


def quality_band(codes: Collection[str], expected: int = ITEM_COUNT) -> str:
    """One student's qualities and competencies at a checkpoint as one band, from the codes (T / Đ / C) of
    the items rated: any Cần cố gắng → "can-co-gang" (known even while others are missing); otherwise not
    every item rated → "none"; every item Tốt → "tot"; else "dat" (at least Đạt everywhere)."""
    if QualityRating.CAN_CO_GANG.code in codes:
        return "can-co-gang"
    if len(codes) < expected:
        return NONE
    return "tot" if all(code == QualityRating.TOT.code for code in codes) else "dat"


def result_key(level: YearResult | None) -> str:
    return level.code.lower() if level is not None else NONE


_TABLES = {
    "enrolment": Enrolment._meta.db_table,
    "school_class": SchoolClass._meta.db_table,
    "grade": GradeLevel._meta.db_table,
    "rating": PrimaryRating._meta.db_table,
    "quality": PrimaryQuality._meta.db_table,
    "load": SubjectLoad._meta.db_table,
    "subject": Subject._meta.db_table,
}

# The students enrolled today in the primary classes of the year.
_ENROLLED = """
WITH enrolled AS (
    SELECT e.student_id, e.school_class_id
    FROM {enrolment} e
    JOIN {school_class} c ON c.id = e.school_class_id
    JOIN {grade} g ON g.id = c.grade_id
    WHERE c.year_id = %(year)s AND g.level = 'primary' AND e.starts_on <= %(today)s
      AND (e.ends_on IS NULL OR e.ends_on >= %(today)s)
)
"""

# Every primary class of the year (including an empty one), with its grade and how many are enrolled today.
_CLASSES = """
SELECT c.id, c.name, g.id, g.number, count(en.student_id)
FROM {school_class} c
JOIN {grade} g ON g.id = c.grade_id
LEFT JOIN enrolled en ON en.school_class_id = c.id
WHERE c.year_id = %(year)s AND g.level = 'primary'
GROUP BY c.id, c.name, g.id, g.number
ORDER BY g.number, length(c.name), c.name"""

# The ratings and test scores at the checkpoint, counted per class × subject × rating × score.
_RATINGS = """
SELECT en.school_class_id, r.subject_id, r.rating, r.test_score, count(*)
FROM {rating} r
JOIN enrolled en ON en.student_id = r.student_id
WHERE r.year_id = %(year)s AND r.checkpoint = %(checkpoint)s
GROUP BY 1, 2, 3, 4"""

# Per student: the codes of the quality and competency items rated at the checkpoint ("TTĐ…").
_QUALITIES = """
SELECT en.school_class_id, string_agg(q.rating, '') FILTER (WHERE q.rating <> '')
FROM {quality} q
JOIN enrolled en ON en.student_id = q.student_id
WHERE q.year_id = %(year)s AND q.checkpoint = %(checkpoint)s
GROUP BY en.school_class_id, q.student_id"""


def _fetch(query: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute((_ENROLLED + query).format(**_TABLES), params)
        return cursor.fetchall()


@dataclass
class ClassRow:
    class_id: int
    name: str
    grade_id: int
    grade: int
    students: int
    quality: list[tuple[str, int]] = field(default_factory=list)  # (band, students)
    results: list[tuple[str, int]] = field(default_factory=list)  # (result key, students), end of year

    @property
    def query(self) -> str:
        return f"class={self.class_id}"


@dataclass
class SubjectRow:
    """One class × subject at the checkpoint: students per rating; per test band where it has a test."""

    school_class: ClassRow
    subject_id: int
    subject: str
    ratings: list[tuple[str, int]]
    tests: list[tuple[str, int]] | None  # None: no written test in this subject at this checkpoint

    @property
    def key(self) -> str:
        return f"{self.school_class.name}-{self.subject_id}"

    @property
    def query(self) -> str:
        return f"class={self.school_class.class_id}&subject={self.subject_id}"


@dataclass
class PrimaryDashboard:
    year: SchoolYear
    checkpoint: Checkpoint
    classes: list[ClassRow]
    subjects: list[SubjectRow]
    quality_total: list[tuple[str, int]]
    results_total: list[tuple[str, int]]  # end of year only
    has_ratings: bool

    @property
    def tested(self) -> list[SubjectRow]:
        return [row for row in self.subjects if row.tests is not None]

    @property
    def year_end(self) -> bool:
        return self.checkpoint == Checkpoint.END_OF_YEAR


def _grade_subjects(grade_ids) -> dict[int, list]:
    """Each grade's active primary subjects (the school's catalogue), in catalogue order: one query."""
    subjects: dict[int, list] = {grade_id: [] for grade_id in grade_ids}
    for load in (
        SubjectLoad.objects.filter(
            grade_id__in=subjects, subject__is_active=True, subject__assessment=Assessment.PRIMARY_RATING
        )
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    ):
        subjects[load.grade_id].append(load.subject)
    return subjects


def _with_none(counts: Counter, keys: list[str], total: int) -> list[tuple[str, int]]:
    """(key, count) for every key, "none" being those of `total` counted under no other key."""
    counted = sum(counts[key] for key in keys if key != NONE)
    return [(key, counts[key] if key != NONE else total - counted) for key in keys]


def primary_dashboard(year: SchoolYear, checkpoint: Checkpoint) -> PrimaryDashboard:
    params = {"year": year.pk, "today": timezone.localdate(), "checkpoint": checkpoint.value}
    classes = [ClassRow(*row) for row in _fetch(_CLASSES, params)]
    subjects = _grade_subjects({row.grade_id for row in classes})
    ratings: dict[tuple[int, int], Counter] = {}
    tests: dict[tuple[int, int], Counter] = {}
    for class_id, subject_id, rating, score, count in _fetch(_RATINGS, params):
        if rating:
            ratings.setdefault((class_id, subject_id), Counter())[rating] += count
        if score is not None:
            tests.setdefault((class_id, subject_id), Counter())[score_band(score)] += count
    bands: dict[int, Counter] = {}
    for class_id, codes in _fetch(_QUALITIES, params):
        bands.setdefault(class_id, Counter())[quality_band(codes or "")] += 1
    results: dict[int, Counter] = {}
    if checkpoint == Checkpoint.END_OF_YEAR:
        for class_id, row in primary_year_results(year):
            results.setdefault(class_id, Counter())[result_key(row.level)] += 1
    rows, quality_total, results_total = [], Counter(), Counter()
    for school_class in classes:
        of_grade = subjects[school_class.grade_id]
        codes = {subject.code for subject in of_grade}
        for subject in of_grade:
            key = (school_class.class_id, subject.pk)
            tested = tests_required(school_class.grade, checkpoint, subject.code, codes)
            rows.append(
                SubjectRow(
                    school_class,
                    subject.pk,
                    subject.name,
                    _with_none(ratings.get(key, Counter()), RATING_KEYS, school_class.students),
                    _with_none(tests.get(key, Counter()), TEST_KEYS, school_class.students)
                    if tested
                    else None,
                )
            )
        school_class.quality = _with_none(
            bands.get(school_class.class_id, Counter()), QUALITY_KEYS, school_class.students
        )
        quality_total.update(dict(school_class.quality))
        if checkpoint == Checkpoint.END_OF_YEAR:
            found = results.get(school_class.class_id, Counter())
            found[COMPLETED] = sum(
                found[r.code.lower()] for r in YearResult if r != YearResult.CHUA_HOAN_THANH
            )
            school_class.results = [(key, found[key]) for key in RESULT_KEYS]
            results_total.update(found)
    return PrimaryDashboard(
        year=year,
        checkpoint=checkpoint,
        classes=classes,
        subjects=rows,
        quality_total=[(key, quality_total[key]) for key in QUALITY_KEYS],
        results_total=[(key, results_total[key]) for key in RESULT_KEYS],
        has_ratings=bool(ratings or tests or bands),
    )


# The whole school's ratings at some checkpoints: expected (students enrolled today × their grade's active
# rated subjects × checkpoints) and given (a rating saved for one of those subjects).
_ENTRY_TOTALS = """
, rated AS (
    SELECT l.grade_id, l.subject_id
    FROM {load} l JOIN {subject} s ON s.id = l.subject_id
    WHERE s.is_active AND s.assessment = 'primary_rating'
)
SELECT (SELECT coalesce(sum(n.students * r.subjects), 0) * cardinality(%(checkpoints)s::text[])
        FROM (SELECT c.grade_id, count(*) AS students
              FROM enrolled en JOIN {school_class} c ON c.id = en.school_class_id GROUP BY 1) n
        JOIN (SELECT grade_id, count(*) AS subjects FROM rated GROUP BY 1) r USING (grade_id)),
       (SELECT count(*)
        FROM {rating} ra
        JOIN enrolled en ON en.student_id = ra.student_id
        JOIN {school_class} c ON c.id = en.school_class_id
        JOIN rated r ON r.grade_id = c.grade_id AND r.subject_id = ra.subject_id
        WHERE ra.year_id = %(year)s AND ra.checkpoint = ANY(%(checkpoints)s) AND ra.rating <> '')"""


def entry_totals(year: SchoolYear, checkpoints: Collection[Checkpoint]) -> tuple[int, int]:
    """(expected, given) subject ratings at `checkpoints` over the school's primary classes (one query)."""
    params = {"year": year.pk, "today": timezone.localdate(), "checkpoints": [c.value for c in checkpoints]}
    ((expected, given),) = _fetch(_ENTRY_TOTALS, params)
    return int(expected), given


def latest_checkpoint(year: SchoolYear) -> Checkpoint:
    """The latest checkpoint of the year with a rating saved, else the first: the dashboard's default."""
    saved = set(PrimaryRating.objects.filter(year=year).values_list("checkpoint", flat=True).distinct())
    return next((c for c in reversed(Checkpoint) if c.value in saved), Checkpoint.MID_SEMESTER_I)


# --- drill-down: the students behind a figure -------------------------------------------------------------


@dataclass
class ListedStudent:
    student: Student
    shown: str  # the figure's value for this student: the rating, the score, the items, the result


def checkpoint_students(
    school_class: SchoolClass, checkpoint: Checkpoint, kind: str, value: str, subject=None
) -> list[ListedStudent]:
    """The students of the class (enrolled today, by name) behind one figure of the dashboard, with what
    the figure counts for each: three queries at most."""
    if kind == "result":
        rows = primary_year_results(school_class.year, school_class)
        return [
            ListedStudent(row.student, row.result if row.level else f"{INCOMPLETE}: {row.missing}")
            for _, row in rows
            if value == result_key(row.level)
            or (value == COMPLETED and row.level is not None and row.level != YearResult.CHUA_HOAN_THANH)
        ]
    students = class_students(school_class, timezone.localdate())
    where = {"student__in": students, "year_id": school_class.year_id, "checkpoint": checkpoint.value}
    if kind == "quality":
        codes: dict[int, list[str]] = {}
        for student_id, code in (
            PrimaryQuality.objects.filter(**where).exclude(rating="").values_list("student_id", "rating")
        ):
            codes.setdefault(student_id, []).append(code)
        listed = []
        for student in students:
            mine = codes.get(student.pk, [])
            if quality_band(mine) == value:
                counts = Counter(mine)
                shown = ", ".join(f"{q.label}: {counts[q.code]}" for q in QualityRating if counts[q.code])
                listed.append(ListedStudent(student, shown))
        return listed
    found = dict(
        (student_id, (rating, score))
        for student_id, rating, score in PrimaryRating.objects.filter(subject=subject, **where).values_list(
            "student_id", "rating", "test_score"
        )
    )
    listed = []
    for student in students:
        rating, score = found.get(student.pk, ("", None))
        if kind == "rating" and (rating or NONE) == value:
            listed.append(ListedStudent(student, SubjectRating(rating).label if rating else ""))
        elif kind == "test" and score_band(score) == value:
            listed.append(ListedStudent(student, "" if score is None else str(score)))
    return listed
