"""Reads of the principal's dashboard: for a term, or for the whole year, over the
secondary classes of the year (the students enrolled today, as on the class results page):

- entry progress per class × subject: filled vs expected cells (enrolled students × (TXn + 2)), overdue when
  the entry deadline has passed and the cells are not all filled;
- subject averages per class: the mean of the students' semester (or year) averages, each computed in SQL
  with Circular 22's formula and rounded half up (PostgreSQL's `round(numeric, 1)` rounds halves away from
  zero, which for these non-negative exact decimals is half up: 66/8 = 8.25 → 8.3), the mean rounded half
  up too (`circular22.round_half_up`);
- learning results and conduct per class and level; students at risk; re-sit candidates (year).

A fixed number of queries whatever the size of the school: the per-student subject results and filled
cells (the one scan of the score table, aggregated in PostgreSQL), the subjects taught in each class with
their plans and deadlines, one GROUP BY for conduct, the subject columns. The class × subject figures
(filled cells, means) are sums of the per-student rows, in Python: the scan is most of the dashboard's
time, and a second statement would repeat it. The learning result is computed in Python too: Circular
22's table is followed by Article 9.3's adjustment ("one subject alone pulls the level down two steps" →
raised one step), which asks, for each subject in turn, what the level would be without it: a per-student
search that SQL would only express by duplicating the rule. So `circular22.learning_result` (the single,
tested implementation of the rule) is applied to each student in Python. The same goes for the year's
conduct (`circular22.year_conduct`) and promotion, applied to each (term I, term II) pair.

No ranking and no all-subject average (Circular 22, art. 4): per-class subject averages are the school's
own monitoring figure; students are listed by class and name."""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from grades.cells import SECONDARY_KINDS, result_text, score_text
from grades.models import FINAL_COLUMNS, AssessmentPlan, Conduct, EntryDeadline, Score, regular_columns
from grades.results.selectors import year_absence_totals
from grades.rules import circular22
from grades.rules.circular22 import Level, Outcome
from students.models import (
    Assessment,
    Enrolment,
    GradeLevel,
    SchoolClass,
    SchoolYear,
    Student,
    Subject,
    TeachingAssignment,
    Term,
)

# The levels as they appear in drill-down URLs (?value=…), best first, then "none": for learning, not every
# subject has a result yet; for conduct, not rated yet.
LEVEL_KEYS = {"tot": Level.TOT, "kha": Level.KHA, "dat": Level.DAT, "chua-dat": Level.CHUA_DAT}
NONE = "none"
KEYS = [*LEVEL_KEYS, NONE]
_KEY_OF = {level: key for key, level in LEVEL_KEYS.items()}


def level_key(level: Level | None) -> str:
    return _KEY_OF[level] if level is not None else NONE


_TABLES = {
    "enrolment": Enrolment._meta.db_table,
    "school_class": SchoolClass._meta.db_table,
    "grade": GradeLevel._meta.db_table,
    "assignment": TeachingAssignment._meta.db_table,
    "subject": Subject._meta.db_table,
    "plan": AssessmentPlan._meta.db_table,
    "score": Score._meta.db_table,
    "conduct": Conduct._meta.db_table,
    "deadline": EntryDeadline._meta.db_table,
    "student": Student._meta.db_table,
}

# The students enrolled today in the secondary classes of the year (optionally one class), and each class's
# secondary subjects (its teaching assignments) with their plan.
_BASE = """
enrolled AS (
    SELECT e.student_id, e.school_class_id
    FROM {enrolment} e
    JOIN {school_class} c ON c.id = e.school_class_id
    JOIN {grade} g ON g.id = c.grade_id
    WHERE c.year_id = %(year)s AND g.level <> 'primary' AND e.starts_on <= %(today)s
      AND (e.ends_on IS NULL OR e.ends_on >= %(today)s)
      AND (%(class)s::integer IS NULL OR c.id = %(class)s::integer)
),
subjects AS (
    SELECT ta.school_class_id, ta.subject_id, s.assessment = 'scored' AS scored, p.regular_count
    FROM {assignment} ta
    JOIN {subject} s ON s.id = ta.subject_id
    JOIN {school_class} c ON c.id = ta.school_class_id
    JOIN {grade} g ON g.id = c.grade_id
    LEFT JOIN {plan} p ON p.year_id = c.year_id AND p.grade_id = c.grade_id AND p.subject_id = ta.subject_id
    WHERE c.year_id = %(year)s AND g.level <> 'primary' AND s.assessment IN ('scored', 'pass_fail')
      AND (%(class)s::integer IS NULL OR c.id = %(class)s::integer)
)"""

# The filled cells (a value or a rating) of the wanted terms, per student × subject × term: how many regular
# (TX) cells and which is the last, the sum of the regular marks, GK and CK in whole tenths, and whether every
# rating is Đạt. Aggregated from the score table alone, before any join: one sequential scan and a hash on
# three integers, a plan that stays fast whatever the planner believes about the joins. Then matched with
# each student's class subjects and plan: complete when exactly TX1…TXn, GK and CK are filled (a cell
# outside the plan cannot exist: `scores_save` refuses it, and a plan is locked at its first saved cell).
# The semester average of a scored subject is (ΣTX + 2·GK + 3·CK) / (n + 5), divided once in exact numeric
# and rounded half up to one decimal; a comment-only subject is Đạt when every assessment is Đạt.
# `counted` is MATERIALIZED: inlined, the planner pushed the `complete` filter into its join, estimated
# one row and chose a nested loop that ran for minutes on 2,000 students.
# This scan is most of the dashboard's time (~117,000 cells for 2,000 students), so it is read once: the
# per-student rows carry each subject's filled cells too, and the class × subject figures are sums of them.
_SEMESTER = """
cells AS (
    SELECT student_id, subject_id, term_id,
           count(*) FILTER (WHERE "column" LIKE 'TX%%') AS regular_filled,
           max(substring("column" FROM 3)::integer) FILTER (WHERE "column" LIKE 'TX%%') AS last_regular,
           count(*) FILTER (WHERE "column" IN ('GK', 'CK')) AS finals_filled,
           sum((value * 10)::integer) FILTER (WHERE "column" LIKE 'TX%%') AS regular,
           max((value * 10)::integer) FILTER (WHERE "column" = 'GK') AS midterm,
           max((value * 10)::integer) FILTER (WHERE "column" = 'CK') AS final,
           bool_and(rating) AS passed
    FROM {score}
    WHERE term_id = ANY(%(terms)s) AND (value IS NOT NULL OR rating IS NOT NULL)
    GROUP BY student_id, subject_id, term_id
),
counted AS MATERIALIZED (
    SELECT en.student_id, sc.subject_id, ce.term_id, en.school_class_id, sc.scored,
           ce.regular_filled + ce.finals_filled AS filled,
           ce.regular_filled = sc.regular_count AND ce.last_regular <= sc.regular_count
               AND ce.finals_filled = 2 AS complete,
           round((ce.regular + 2 * ce.midterm + 3 * ce.final)::numeric / (10 * (sc.regular_count + 5)), 1)
               AS average,
           ce.passed
    FROM cells ce
    JOIN enrolled en ON en.student_id = ce.student_id
    JOIN subjects sc ON sc.school_class_id = en.school_class_id AND sc.subject_id = ce.subject_id
)"""

# One row per student × subject with a filled cell: the cells filled, and the result when the subject is
# complete (else NULL): the average (scored) or Đạt/Chưa đạt (comment-only).
_RESULT_TERM = """
result AS (
    SELECT student_id, school_class_id, subject_id, filled,
           CASE WHEN complete AND scored THEN average END AS average,
           CASE WHEN complete AND NOT scored THEN passed END AS passed
    FROM counted
)"""

# The year: the cells of both terms; ĐTBmcn = (ĐTBmhk I + 2·ĐTBmhk II) / 3 from the rounded semester
# averages, rounded half up; a comment-only subject's year result is its semester II result.
_RESULT_YEAR = """
result AS (
    SELECT student_id, school_class_id, subject_id, sum(filled)::integer AS filled,
           CASE WHEN scored THEN round(
               (max(average) FILTER (WHERE complete AND term_id = %(term1)s)
                + 2 * max(average) FILTER (WHERE complete AND term_id = %(term2)s)) / 3, 1) END AS average,
           CASE WHEN NOT scored THEN bool_or(passed) FILTER (WHERE complete AND term_id = %(term2)s) END
               AS passed
    FROM counted
    GROUP BY student_id, school_class_id, subject_id, scored
)"""


def _sql(*parts: str, query: str) -> str:
    return ("WITH " + ",".join(parts) + "\n" + query).format(**_TABLES)


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Period:
    """What the dashboard looks at: one term, or the whole year (term None)."""

    year: SchoolYear
    term: Term | None
    terms: tuple[Term, ...]  # the year's terms, by number

    @property
    def wanted(self) -> list[Term]:
        return [self.term] if self.term is not None else list(self.terms)

    def params(self, school_class_id: int | None = None) -> dict:
        by_number = {t.number: t.pk for t in self.terms}
        return {
            "year": self.year.pk,
            "today": timezone.localdate(),
            "class": school_class_id,
            "terms": [t.pk for t in self.wanted],
            "term": self.term.pk if self.term else None,
            "term1": by_number.get(1),
            "term2": by_number.get(2),
        }

    def result_cte(self) -> str:
        return _RESULT_TERM if self.term is not None else _RESULT_YEAR


# --- per class × subject: entry progress and subject averages ---------------------------------------------


@dataclass
class ClassSubject:
    class_id: int
    class_name: str
    subject_id: int
    subject_name: str
    regular_count: int | None  # None: no assessment plan for this grade and subject
    students: int  # enrolled in the class
    filled: int  # term: filled cells of the plan's columns
    deadline: datetime | None  # term: the entry deadline of the subject (its own, else the general one)
    scored: bool
    average: Decimal | None  # scored: mean of the students' averages, half up to one decimal
    passed: int  # comment-only: students rated Đạt
    results: int  # students with a result (every required cell filled)
    now: datetime

    @property
    def expected(self) -> int | None:
        return None if self.regular_count is None else self.students * (self.regular_count + 2)

    @property
    def percent(self) -> int | None:
        if not self.expected:
            return None
        return self.filled * 100 // self.expected  # floor: 100 % only when every cell is filled

    @property
    def complete(self) -> bool:
        return self.expected is not None and self.filled >= self.expected

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline < self.now and not self.complete

    # The page's text of the cell, its id and its drill-down query, made here once per cell: the dashboard
    # prints 540 cells twice for a school of 45 classes, and each template lookup costs.
    @property
    def key(self) -> str:
        return f"{self.class_name}-{self.subject_id}"

    @property
    def query(self) -> str:
        return f"class={self.class_id}&value={self.subject_id}"

    @property
    def progress_text(self) -> str:
        percent = self.percent
        return f"{self.filled}/{self.expected}" + ("" if percent is None else f" ({percent}%)")

    @property
    def average_text(self) -> str:
        if not self.results:
            return ""
        if self.scored:
            return f"{self.average:.1f}".replace(".", ",")
        return f"{self.passed}/{self.results} Đ"


# The class × subject skeleton: every secondary subject taught in each class, with its plan and deadline.
_CLASS_SUBJECTS_QUERY = """
SELECT c.id, c.name, s.id, s.name, sc.regular_count,
       coalesce((SELECT d.deadline FROM {deadline} d WHERE d.term_id = %(term)s AND d.subject_id = s.id),
                (SELECT d.deadline FROM {deadline} d WHERE d.term_id = %(term)s AND d.subject_id IS NULL)),
       sc.scored
FROM subjects sc
JOIN {school_class} c ON c.id = sc.school_class_id
JOIN {grade} g ON g.id = c.grade_id
JOIN {subject} s ON s.id = sc.subject_id
ORDER BY g.number, length(c.name), c.name, s."order", s.name"""


def class_subjects(period: Period, students: list["StudentResult"] | None = None) -> list[ClassSubject]:
    """Per class × subject: the entry progress of a term (filled vs expected cells; for the year `filled`
    adds up both terms and is not shown) and the subject average (the mean of the students' semester, or
    year, averages, rounded half up). The figures are sums over the per-student results (`students`, the
    dashboard's, else read here), so that the cells are scanned once: one more query, for the subjects
    taught, their plans and deadlines."""
    if students is None:
        students = student_results(period)
    # Per class: the students, and per subject the cells filled and the students' results.
    sizes: Counter = Counter()
    filled: dict[int, Counter] = defaultdict(Counter)
    results: dict[int, defaultdict[int, list[Decimal | bool]]] = defaultdict(lambda: defaultdict(list))
    for student in students:
        sizes[student.class_id] += 1
        filled[student.class_id].update(student.filled)
        in_class = results[student.class_id]
        for subject_id, result in student.subjects.items():
            in_class[subject_id].append(result)
    now = timezone.now()
    figures = []
    for class_id, class_name, subject_id, subject_name, regular_count, deadline, scored in _fetch(
        _sql(_BASE, query=_CLASS_SUBJECTS_QUERY), period.params()
    ):
        found = results[class_id].get(subject_id, [])
        figures.append(
            ClassSubject(
                class_id=class_id,
                class_name=class_name,
                subject_id=subject_id,
                subject_name=subject_name,
                regular_count=regular_count,
                students=sizes[class_id],
                filled=filled[class_id][subject_id],
                deadline=deadline,
                scored=scored,
                average=circular22.round_half_up(sum(found) / len(found)) if scored and found else None,
                passed=0 if scored else sum(found),
                results=len(found),
                now=now,
            )
        )
    return figures


# The school's whole entry progress of a term in one row: the cells the plans call for (enrolled students ×
# (TXn + 2) of every planned subject taught in their class) and those filled, as the grid sums them.
_ENTRY_TOTALS_QUERY = """
SELECT (SELECT coalesce(sum(n.students * (sc.regular_count + 2)), 0)
        FROM subjects sc
        JOIN (SELECT school_class_id, count(*) AS students FROM enrolled GROUP BY 1) n USING (school_class_id)
        WHERE sc.regular_count IS NOT NULL),
       (SELECT count(*)
        FROM {score} s
        JOIN enrolled en ON en.student_id = s.student_id
        JOIN subjects sc ON sc.school_class_id = en.school_class_id AND sc.subject_id = s.subject_id
        WHERE s.term_id = %(term)s AND sc.regular_count IS NOT NULL
          AND (s.value IS NOT NULL OR s.rating IS NOT NULL))"""


def entry_totals(period: Period) -> tuple[int, int]:
    """(expected, filled) cells of the term over the whole school: the sums of `class_subjects`' progress
    figures, in one query that reads the score table's filled cells of the term and nothing per student."""
    ((expected, filled),) = _fetch(_sql(_BASE, query=_ENTRY_TOTALS_QUERY), period.params())
    return int(expected), filled


# --- per-student results: learning, conduct, risk, re-sit --------------------------------------------------


@dataclass
class StudentResult:
    student_id: int
    full_name: str
    student_code: str
    class_id: int
    class_name: str
    subjects: dict[int, Decimal | bool]  # subject id → average (scored) or Đạt/Chưa đạt (comment-only)
    filled: dict[int, int]  # subject id → cells filled in the period (for the class's entry progress)
    learning: Level | None  # None: some subject has no result yet
    conduct: Level | None  # None: not rated (year: a term not rated)
    outcome: Outcome | None = None  # year only, when learning and conduct are known
    shown: str = ""  # drill-down of one subject's averages: the student's result in it ("8,3", "Đ")

    @property
    def at_risk(self) -> bool:
        return Level.CHUA_DAT in (self.learning, self.conduct)

    @property
    def resit(self) -> bool:
        return self.outcome == Outcome.RESIT


# `per_student` reads `result` sorted so that it aggregates by sorting, one student at a time: hashed (the
# planner's choice, for the 200 students it guesses), 2,000 students' arrays overflow `work_mem` and spill.
_STUDENTS = """
per_student AS (
    SELECT student_id, school_class_id, array_agg(subject_id) AS subject_ids, array_agg(filled) AS filled,
           array_agg(average) AS averages, array_agg(passed) AS passed
    FROM (SELECT * FROM result ORDER BY student_id, school_class_id) sorted
    GROUP BY student_id, school_class_id
),
required AS (SELECT school_class_id, count(*) AS n FROM subjects GROUP BY school_class_id)"""

_STUDENTS_QUERY = """
SELECT st.id, st.full_name, st.student_code, c.id, c.name, coalesce(rq.n, 0),
       coalesce(ps.subject_ids, '{{}}'), coalesce(ps.filled, '{{}}'), coalesce(ps.averages, '{{}}'),
       coalesce(ps.passed, '{{}}'), c1.rating, c2.rating
FROM enrolled en
JOIN {student} st ON st.id = en.student_id
JOIN {school_class} c ON c.id = en.school_class_id
JOIN {grade} g ON g.id = c.grade_id
LEFT JOIN required rq ON rq.school_class_id = c.id
LEFT JOIN per_student ps ON ps.student_id = en.student_id AND ps.school_class_id = en.school_class_id
LEFT JOIN {conduct} c1 ON c1.student_id = en.student_id AND c1.term_id = %(term1)s
LEFT JOIN {conduct} c2 ON c2.student_id = en.student_id AND c2.term_id = %(term2)s
ORDER BY g.number, length(c.name), c.name, st.sort_key, st.student_code"""


def student_results(period: Period, school_class_id: int | None = None) -> list[StudentResult]:
    """Every enrolled secondary student with their subject results and filled cells (from SQL, one query)
    and their learning result, conduct and (year) outcome by the Circular 22 rules, applied per student (see
    the module's docstring for why in Python)."""
    rows = _fetch(
        _sql(_BASE, _SEMESTER, period.result_cte(), _STUDENTS, query=_STUDENTS_QUERY),
        period.params(school_class_id),
    )
    numbers = {t.pk: t.number for t in period.terms}
    # The year's promotion counts each student's absences (one more query, for the year only).
    absences = year_absence_totals([row[0] for row in rows], period.year) if period.term is None else {}
    results = []
    for (sid, name, code, class_id, class_name, required, subject_ids, filled, averages, passed,
         conduct1, conduct2) in rows:  # fmt: skip
        subjects: dict[int, Decimal | bool] = {}
        scored_results, pass_fail = {}, {}
        for subject_id, average, ok in zip(subject_ids, averages, passed, strict=True):
            if average is not None:
                subjects[subject_id] = scored_results[subject_id] = average
            elif ok is not None:
                subjects[subject_id] = pass_fail[subject_id] = ok
        complete = required > 0 and len(subjects) == required
        learning = circular22.learning_result(scored_results, pass_fail) if complete else None
        if period.term is not None:
            rating = conduct1 if numbers[period.term.pk] == 1 else conduct2
            conduct = Level(rating) if rating else None
        else:
            both = conduct1 and conduct2
            conduct = circular22.year_conduct(Level(conduct1), Level(conduct2)) if both else None
        result = StudentResult(
            sid, name, code, class_id, class_name, subjects, dict(zip(subject_ids, filled, strict=True)),
            learning, conduct,
        )  # fmt: skip
        if period.term is None and learning is not None and conduct is not None:
            result.outcome = circular22.promotion(conduct, learning, absences.get(sid, 0))
        results.append(result)
    return results


# --- conduct per class (GROUP BY) --------------------------------------------------------------------------

_CONDUCT_QUERY = """
SELECT en.school_class_id, c1.rating, c2.rating, count(*)
FROM enrolled en
LEFT JOIN {conduct} c1 ON c1.student_id = en.student_id AND c1.term_id = %(term1)s
LEFT JOIN {conduct} c2 ON c2.student_id = en.student_id AND c2.term_id = %(term2)s
GROUP BY en.school_class_id, c1.rating, c2.rating"""


def conduct_counts(period: Period) -> dict[int, Counter]:
    """Per class: the number of students per conduct level key (NONE: not rated), by GROUP BY over the pair of
    term ratings; for the year each pair becomes its year level by `circular22.year_conduct`."""
    counts: dict[int, Counter] = {}
    numbers = {t.pk: t.number for t in period.terms}
    for class_id, rating1, rating2, count in _fetch(_sql(_BASE, query=_CONDUCT_QUERY), period.params()):
        if period.term is not None:
            rating = rating1 if numbers[period.term.pk] == 1 else rating2
            level = Level(rating) if rating else None
        elif rating1 and rating2:
            level = circular22.year_conduct(Level(rating1), Level(rating2))
        else:
            level = None
        counts.setdefault(class_id, Counter())[level_key(level)] += count
    return counts


# --- the dashboard -----------------------------------------------------------------------------------------


@dataclass
class SubjectHead:
    subject_id: int
    name: str


@dataclass
class ClassRow:
    class_id: int
    name: str
    cells: list[ClassSubject | None] = field(default_factory=list)  # one per subject head
    learning: list[tuple[str, int]] = field(default_factory=list)  # (key, count) for each of KEYS
    conduct: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Dashboard:
    period: Period
    subjects: list[SubjectHead]
    classes: list[ClassRow]
    learning_total: list[tuple[str, int]]  # (key, count) for each of KEYS, whole school
    conduct_total: list[tuple[str, int]]
    at_risk: int
    resit: int  # year only
    has_scores: bool
    has_conduct: bool


def dashboard(period: Period) -> Dashboard:
    """The whole dashboard for a term or the year in four queries: the per-student results, the subjects
    taught in each class (progress and averages per class × subject are sums of those results), the
    conduct counts, the subject columns."""
    students = student_results(period)
    figures = class_subjects(period, students)
    conduct = conduct_counts(period)

    heads = [
        SubjectHead(pk, name)
        for pk, name in Subject.objects.filter(
            assignments__school_class__year=period.year, assessment__in=SECONDARY_KINDS
        )
        .exclude(assignments__school_class__grade__level="primary")
        .distinct()
        .order_by("order", "name")
        .values_list("pk", "name")
    ]
    classes: dict[int, ClassRow] = {}
    for cell in figures:
        classes.setdefault(cell.class_id, ClassRow(cell.class_id, cell.class_name))
    for student in students:
        classes.setdefault(student.class_id, ClassRow(student.class_id, student.class_name))
    cells = {(cell.class_id, cell.subject_id): cell for cell in figures}
    learning: dict[int, Counter] = {}
    for student in students:
        learning.setdefault(student.class_id, Counter())[level_key(student.learning)] += 1
    for row in classes.values():
        row.cells = [cells.get((row.class_id, head.subject_id)) for head in heads]
        row.learning = [(key, learning.get(row.class_id, Counter())[key]) for key in KEYS]
        row.conduct = [(key, conduct.get(row.class_id, Counter())[key]) for key in KEYS]
    rows = list(classes.values())
    learning_total = sum(learning.values(), Counter())
    conduct_total = sum(conduct.values(), Counter())
    return Dashboard(
        period=period,
        subjects=heads,
        classes=rows,
        learning_total=[(key, learning_total[key]) for key in KEYS],
        conduct_total=[(key, conduct_total[key]) for key in KEYS],
        at_risk=sum(1 for s in students if s.at_risk),
        resit=sum(1 for s in students if s.resit),
        has_scores=any(cell.filled for cell in figures),
        has_conduct=any(conduct_total[key] for key in LEVEL_KEYS),
    )


# --- drill-down: the students or cells behind a figure ----------------------------------------------------

KINDS = ("progress", "average", "learning", "conduct", "risk", "resit")


@dataclass
class CellsRow:
    student_id: int
    full_name: str
    student_code: str
    cells: list[str]  # one per column: the cell as shown ("7,5", "Đ"), "" when empty


@dataclass
class ProgressCells:
    columns: list[str]
    rows: list[CellsRow]

    @property
    def filled(self) -> int:
        return sum(1 for row in self.rows for text in row.cells if text)

    @property
    def expected(self) -> int:
        return len(self.rows) * len(self.columns)


def progress_cells(period: Period, school_class: SchoolClass, subject: Subject) -> ProgressCells:
    """The cells behind a progress figure: each enrolled student's cells of the subject in the term, in the
    plan's columns (three queries: the plan, the students, the cells)."""
    count = (
        AssessmentPlan.objects.filter(year=period.year, grade_id=school_class.grade_id, subject=subject)
        .values_list("regular_count", flat=True)
        .first()
    )
    columns = regular_columns(count) + list(FINAL_COLUMNS) if count is not None else []
    today = timezone.localdate()
    enrolled = Enrolment.objects.filter(
        student=OuterRef("pk"), school_class=school_class, starts_on__lte=today
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
    students = list(
        Student.objects.filter(Exists(enrolled))
        .order_by("sort_key", "student_code")
        .values_list("pk", "full_name", "student_code")
    )
    scored = subject.assessment == Assessment.SCORED
    texts: dict[tuple[int, str], str] = {}
    for student_id, column, value, rating in Score.objects.filter(
        student__in=[pk for pk, _, _ in students], subject=subject, term=period.term, column__in=columns
    ).values_list("student_id", "column", "value", "rating"):
        texts[(student_id, column)] = score_text(value if scored else None, None if scored else rating)
    rows = [
        CellsRow(pk, name, code, [texts.get((pk, column), "") for column in columns])
        for pk, name, code in students
    ]
    return ProgressCells(columns, rows)


def drill_down(period: Period, kind: str, value: str, school_class_id: int | None) -> list[StudentResult]:
    """The students behind a learning, conduct, risk, re-sit or average figure (one query, as the
    dashboard's per-student results, restricted to the class when one is given)."""
    students = student_results(period, school_class_id)
    if kind == "learning":
        return [s for s in students if level_key(s.learning) == value]
    if kind == "conduct":
        return [s for s in students if level_key(s.conduct) == value]
    if kind == "risk":
        return [s for s in students if s.at_risk]
    if kind == "resit":
        return [s for s in students if s.resit]
    if kind == "average":  # value: the subject id; the students with a result in it
        subject_id = int(value)
        shown = [s for s in students if subject_id in s.subjects]
        for student in shown:
            student.shown = result_text(student.subjects[subject_id])
        return shown
    raise ValueError(kind)
