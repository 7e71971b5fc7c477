"""Bulk gradebook data for the demo (`seed_demo`), the gradebook benchmark and tests: teaching assignments
where a class lacks one, the year's assessment plans, a term's Score cells for every enrolled secondary
student × subject × column of the plan, and each student's conduct — written in bulk (COPY for the
cells), not through `scores_save`, which validates and versions one teacher's column at a time: far too
slow for 100,000 cells.

Deterministic for a seed: classes, students and subjects are visited in a fixed order (class name, student
code, subject order) and every random draw comes from the caller's `rng`.

Seeded cells are written as if entered and already published (parents see them in the demo) and have no
history rows (ScoreChange records a person's change; nobody changed these). The plans of the seeded
subjects are locked, as the first real save would lock them."""

import random
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role
from grades.cells import SECONDARY_KINDS
from grades.models import FINAL_COLUMNS, AssessmentPlan, Conduct, Score, regular_columns
from grades.results.services import assessment_plan_generate
from grades.rules.circular22 import Level
from students.models import (
    Assessment,
    Enrolment,
    SchoolClass,
    SchoolYear,
    StaffMember,
    SubjectLoad,
    TeachingAssignment,
    Term,
)

BATCH = 5000
# Conduct ratings are drawn with these weights (most students are rated Tốt).
CONDUCT_WEIGHTS = {Level.TOT: 66, Level.KHA: 24, Level.DAT: 8, Level.CHUA_DAT: 2}
# A student's general level on the 0–10 scale; with these spreads Circular 22 gives about 17 % Tốt, 40 % Khá,
# 36 % Đạt and 6 % Chưa đạt (learning result of a term; simulated with 2,000 students).
ABILITY_MEAN, ABILITY_SD = 7.5, 1.1
SUBJECT_SD, CELL_SD = 0.5, 0.9  # how much a subject, then a single assessment, moves away from it


@dataclass
class GradebookCounts:  # rows created (cells and ratings that existed already are not counted)
    assignments: int = 0
    plans: int = 0
    scores: int = 0
    conducts: int = 0


def _mark(rng: random.Random, level: float) -> Decimal:
    """A realistic mark around `level`: mostly whole or half marks, sometimes another tenth; 0–10."""
    raw = min(10.0, max(0.0, rng.gauss(level, CELL_SD)))
    step = Decimal("0.5") if rng.random() < 0.7 else Decimal("0.1")
    return (Decimal(str(raw)) / step).quantize(Decimal(1)) * step


def _missing_assignments(classes: list[SchoolClass]) -> list[TeachingAssignment]:
    """Teaching assignments for the secondary subjects each class's grade has and nobody teaches yet, given
    in turn to the school's teachers (preferring one who teaches the subject). None without any teacher."""
    teachers = list(
        StaffMember.objects.filter(roles__contains=[Role.TEACHER], is_active=True)
        .prefetch_related("subjects")
        .order_by("pk")
    )
    if not teachers:
        return []
    by_subject: dict[int, list[StaffMember]] = {}
    for teacher in teachers:
        for subject in teacher.subjects.all():
            by_subject.setdefault(subject.pk, []).append(teacher)
    taken = set(
        TeachingAssignment.objects.filter(school_class__in=classes).values_list(
            "school_class_id", "subject_id"
        )
    )
    loads: dict[int, list[int]] = {}
    for grade_id, subject_id in (
        SubjectLoad.objects.filter(subject__is_active=True, subject__assessment__in=SECONDARY_KINDS)
        .order_by("subject__order", "subject__name")
        .values_list("grade_id", "subject_id")
    ):
        loads.setdefault(grade_id, []).append(subject_id)
    missing, turn = [], 0
    for school_class in classes:
        for subject_id in loads.get(school_class.grade_id, []):
            if (school_class.pk, subject_id) in taken:
                continue
            pool = by_subject.get(subject_id) or teachers
            missing.append(
                TeachingAssignment(
                    teacher=pool[turn % len(pool)], school_class=school_class, subject_id=subject_id
                )
            )
            turn += 1
    return missing


SCORE_COLUMNS = (
    "student_id", "subject_id", "term_id", "column", "value", "rating", "version", "updated_by_id",
    "updated_at", "published_value", "published_rating", "published_at",
)  # fmt: skip


def _copy_scores(rows: list[tuple]) -> None:
    """Write Score rows (tuples in SCORE_COLUMNS order) with COPY into a temporary table, then one INSERT
    that skips the cells that exist. About ten times faster than bulk_create for a school's 100,000+ cells
    (bulk_create spent most of its time building model instances and SQL parameters)."""
    columns = ", ".join(f'"{name}"' for name in SCORE_COLUMNS)
    table = Score._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE seed_score AS SELECT {columns} FROM {table} WITH NO DATA")
        with cursor.copy(f"COPY seed_score ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM seed_score ON CONFLICT DO NOTHING"
        )
        cursor.execute("DROP TABLE seed_score")


@transaction.atomic
def gradebook_seed(
    year: SchoolYear, terms: list[Term], rng: random.Random, fill: float = 1.0
) -> GradebookCounts:
    """Seed the gradebook of the year's secondary classes for `terms` (call inside the school's schema).
    `fill` is the share of cells entered (1.0: every cell of the plan; less leaves random gaps, as in a
    term still under way); conduct is rated for every student and term. Existing cells and ratings are
    left as they are."""
    counts = GradebookCounts()
    now = timezone.now()
    today = timezone.localdate()
    classes = list(
        SchoolClass.objects.filter(year=year)
        .exclude(grade__level="primary")
        .select_related("grade")
        .order_by("grade__number", "name")
    )
    new_assignments = _missing_assignments(classes)
    TeachingAssignment.objects.bulk_create(new_assignments, batch_size=BATCH)
    counts.assignments = len(new_assignments)
    counts.plans = assessment_plan_generate(actor=None, year=year)
    plans = {
        (grade_id, subject_id): count
        for grade_id, subject_id, count in AssessmentPlan.objects.filter(year=year).values_list(
            "grade_id", "subject_id", "regular_count"
        )
    }
    assignments: dict[int, list[TeachingAssignment]] = {}
    for assignment in (
        TeachingAssignment.objects.filter(school_class__in=classes, subject__assessment__in=SECONDARY_KINDS)
        .select_related("subject")
        .order_by("subject__order", "subject__name")
    ):
        assignments.setdefault(assignment.school_class_id, []).append(assignment)
    students: dict[int, list[int]] = {}
    for class_id, student_id in (
        Enrolment.objects.filter(school_class__in=classes, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .order_by("student__student_code")
        .values_list("school_class_id", "student_id")
    ):
        students.setdefault(class_id, []).append(student_id)

    scores_before = Score.objects.filter(term__in=terms).count()
    conducts_before = Conduct.objects.filter(term__in=terms).count()
    levels, weights = list(CONDUCT_WEIGHTS), list(CONDUCT_WEIGHTS.values())
    homeroom = {c.pk: c.homeroom_teacher_id for c in classes}
    scores: list[tuple] = []
    conducts: list[Conduct] = []
    seeded_plans: set[tuple[int, int]] = set()
    for school_class in classes:
        for student_id in students.get(school_class.pk, []):
            ability = rng.gauss(ABILITY_MEAN, ABILITY_SD)
            for assignment in assignments.get(school_class.pk, []):
                count = plans.get((school_class.grade_id, assignment.subject_id))
                if count is None:
                    continue
                seeded_plans.add((school_class.grade_id, assignment.subject_id))
                scored = assignment.subject.assessment == Assessment.SCORED
                level = ability + rng.gauss(0, SUBJECT_SD)
                for term in terms:
                    for column in regular_columns(count) + list(FINAL_COLUMNS):
                        if fill < 1.0 and rng.random() >= fill:
                            continue
                        value = _mark(rng, level) if scored else None
                        rating = None if scored else rng.random() < (0.98 if level >= 4.5 else 0.6)
                        scores.append((
                            student_id, assignment.subject_id, term.pk, column, value, rating, 1,
                            assignment.teacher_id, now, value, rating, now,
                        ))  # fmt: skip
            for term in terms:
                conducts.append(
                    Conduct(
                        student_id=student_id, term=term, rating=rng.choices(levels, weights)[0].value,
                        rated_by_id=homeroom[school_class.pk], updated_at=now,
                    )
                )  # fmt: skip
    _copy_scores(scores)
    Conduct.objects.bulk_create(conducts, batch_size=BATCH, ignore_conflicts=True)
    counts.scores = Score.objects.filter(term__in=terms).count() - scores_before
    counts.conducts = Conduct.objects.filter(term__in=terms).count() - conducts_before
    locked = Q()
    for grade_id, subject_id in seeded_plans:
        locked |= Q(grade_id=grade_id, subject_id=subject_id)
    if seeded_plans:
        AssessmentPlan.objects.filter(locked, year=year, locked_at__isnull=True).update(locked_at=now)
    return counts
