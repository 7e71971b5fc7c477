"""Reads of the class results page: per student, each subject's term
(or year) result, the learning result, the conduct and, for the year, promotion / re-sit and awards, all
computed by grades.rules.circular22. Students are listed by name and never ranked (Circular 22, art. 4).

A constant number of queries, whatever the number of students: the students, the class's teaching
assignments, the plans, the terms, every score of the class, every conduct rating and (for the year) every
student's absences are each loaded once.

Promotion counts the absences of the school year as attendance does (P and K marks of session roll calls,
excused and unexcused together; more than 45 → not promoted): year_absence_totals asks the attendance app
through settings.GRADES_YEAR_ABSENCES, so that the gradebook does not import its sibling app."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from grades.cells import SECONDARY_KINDS, cell_average, result_text
from grades.models import FINAL_COLUMNS, AssessmentPlan, Conduct, Score, regular_columns
from grades.rules import circular22
from grades.rules.circular22 import Level
from students.models import Assessment, SchoolClass, Student, TeachingAssignment, Term
from students.selectors import class_students

INCOMPLETE = "Chưa đủ điểm"  # a learning result cannot be computed yet: some subject has no result


def year_absence_totals(student_ids, year) -> dict[int, int]:
    """{student id: sessions absent in the school year, excused and unexcused together} (what promotion is
    decided on), for the students with any absence: the function named by settings.GRADES_YEAR_ABSENCES
    (the composition layer wires the attendance app's read), one query."""
    absences = import_string(settings.GRADES_YEAR_ABSENCES)(student_ids, year)
    return {student_id: absent.total for student_id, absent in absences.items()}


@dataclass
class SubjectColumn:
    subject_id: int
    name: str
    scored: bool
    regular_count: int | None  # None: no assessment plan for the subject in this grade and year


@dataclass
class ResultRow:
    student: Student
    results: list[Decimal | bool | None] = field(default_factory=list)  # one per subject column
    learning: str = INCOMPLETE
    conduct: str = ""  # "" while not rated
    outcome: str = ""  # year only: Được lên lớp / Kiểm tra lại trong hè / Không được lên lớp
    resit: list[str] = field(
        default_factory=list
    )  # year only: names of subjects a re-sit may be chosen among
    award: str = ""  # year only
    absences: int | None = None  # year only: sessions absent (excused or not) in the school year

    @property
    def cells(self) -> list[str]:
        return [result_text(result) for result in self.results]


@dataclass
class ClassResults:
    school_class: SchoolClass
    term: Term | None  # None: the whole year
    subjects: list[SubjectColumn]
    rows: list[ResultRow]


def class_subjects(school_class: SchoolClass) -> list[SubjectColumn]:
    """The class's secondary subjects (from its teaching assignments) with their plan's TX count."""
    assignments = (
        TeachingAssignment.objects.filter(school_class=school_class, subject__assessment__in=SECONDARY_KINDS)
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    )
    plans = dict(
        AssessmentPlan.objects.filter(
            year_id=school_class.year_id, grade_id=school_class.grade_id
        ).values_list("subject_id", "regular_count")
    )
    return [
        SubjectColumn(
            subject_id=a.subject_id,
            name=a.subject.name,
            scored=a.subject.assessment == Assessment.SCORED,
            regular_count=plans.get(a.subject_id),
        )
        for a in assignments
    ]


def _semester_results(
    subjects: list[SubjectColumn], cells: dict[tuple[int, int, int], dict[str, Score]], student_id, term_id
) -> list[Decimal | bool | None]:
    results = []
    for subject in subjects:
        if subject.regular_count is None:
            results.append(None)
            continue
        row = cells.get((student_id, subject.subject_id, term_id), {})
        results.append(cell_average(row, subject.regular_count, subject.scored))
    return results


def learning_level(subjects: list[SubjectColumn], results: list) -> Level | None:
    """The learning result from one result per subject column; None while any is missing."""
    if not subjects or any(result is None for result in results):
        return None
    scored = {s.subject_id: r for s, r in zip(subjects, results, strict=True) if s.scored}
    pass_fail = {s.subject_id: r for s, r in zip(subjects, results, strict=True) if not s.scored}
    return circular22.learning_result(scored, pass_fail)


def class_results(school_class: SchoolClass, term: Term | None = None) -> ClassResults:
    """The results of the students enrolled in the class today, for a term or (term=None) for the year."""
    today = timezone.localdate()
    students = class_students(school_class, today)
    subjects = class_subjects(school_class)
    terms = {t.number: t for t in Term.objects.filter(year_id=school_class.year_id)}
    wanted_terms = [term.pk] if term is not None else [t.pk for t in terms.values()]
    columns = set(regular_columns(10)) | set(FINAL_COLUMNS)
    cells: dict[tuple[int, int, int], dict[str, Score]] = {}
    for score in Score.objects.filter(
        student__in=[s.pk for s in students],
        subject_id__in=[s.subject_id for s in subjects],
        term_id__in=wanted_terms,
        column__in=columns,
    ).only("student_id", "subject_id", "term_id", "column", "value", "rating"):
        cells.setdefault((score.student_id, score.subject_id, score.term_id), {})[score.column] = score
    conducts = {
        (student_id, term_id): rating
        for student_id, term_id, rating in Conduct.objects.filter(
            student__in=[s.pk for s in students], term_id__in=wanted_terms
        ).values_list("student_id", "term_id", "rating")
    }
    rows = []
    if term is not None:
        for student in students:
            results = _semester_results(subjects, cells, student.pk, term.pk)
            level = learning_level(subjects, results)
            rows.append(
                ResultRow(
                    student=student,
                    results=results,
                    learning=level.label if level else INCOMPLETE,
                    conduct=conducts.get((student.pk, term.pk), ""),
                )
            )
        return ClassResults(school_class, term, subjects, rows)

    first, second = terms.get(1), terms.get(2)
    absences = year_absence_totals([s.pk for s in students], school_class.year)
    for student in students:
        sem1 = _semester_results(subjects, cells, student.pk, first.pk) if first else [None] * len(subjects)
        sem2 = _semester_results(subjects, cells, student.pk, second.pk) if second else [None] * len(subjects)
        results: list[Decimal | bool | None] = []
        for subject, one, two in zip(subjects, sem1, sem2, strict=True):
            if subject.scored:
                both = one is not None and two is not None
                results.append(circular22.year_average(one, two) if both else None)
            else:  # a comment-only subject's year result is its semester II result
                results.append(circular22.pass_fail_year(one, two) if two is not None else None)
        row = ResultRow(student=student, results=results, absences=absences.get(student.pk, 0))
        learning = learning_level(subjects, results)
        row.learning = learning.label if learning else INCOMPLETE
        rating1 = conducts.get((student.pk, first.pk)) if first else None
        rating2 = conducts.get((student.pk, second.pk)) if second else None
        conduct = circular22.year_conduct(Level(rating1), Level(rating2)) if rating1 and rating2 else None
        row.conduct = conduct.label if conduct else ""
        if learning is not None and conduct is not None:
            outcome = circular22.promotion(conduct, learning, row.absences)
            row.outcome = outcome.label
            if outcome == circular22.Outcome.RESIT:
                names = {s.subject_id: s.name for s in subjects}
                year_scored = {s.subject_id: r for s, r in zip(subjects, results, strict=True) if s.scored}
                year_pf = {s.subject_id: r for s, r in zip(subjects, results, strict=True) if not s.scored}
                row.resit = [names[sid] for sid in circular22.resit_subjects(year_scored, year_pf)]
            year_scored = {s.subject_id: r for s, r in zip(subjects, results, strict=True) if s.scored}
            row.award = circular22.award(conduct, learning, year_scored) or ""
        rows.append(row)
    return ClassResults(school_class, None, subjects, rows)
